// Windowed-sinc low-pass design with a Kaiser window (J. F. Kaiser's formulas,
// as in Oppenheim & Schafer): the attenuation sets the window's shape (beta),
// attenuation and transition width set the length. Runs once at prepare time,
// in double.
#pragma once

#include <cstddef>
#include <vector>

namespace pedal::dsp::fir {

// Modified Bessel function of the first kind, order 0 (power series).
double bessel_i0(double x);

// Kaiser's beta for a stopband `attenuation_db` below the passband.
double kaiser_beta(double attenuation_db);

// Taps needed for `attenuation_db` with a transition `transition` wide, in
// cycles per sample (0.5 = Nyquist).
std::size_t kaiser_length(double attenuation_db, double transition);

// `length` taps of the ideal low-pass with cut-off `cutoff` (cycles per
// sample, -6 dB point) times the Kaiser window, symmetric about (length - 1) / 2.
std::vector<double> kaiser_lowpass(std::size_t length, double cutoff, double beta);

}  // namespace pedal::dsp::fir

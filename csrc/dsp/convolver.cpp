#include "dsp/convolver.h"

#include <algorithm>
#include <cmath>

#include "dsp/dot.h"

namespace pedal::dsp {

namespace {

float finite_or_silence(float x) noexcept { return std::isfinite(x) ? x : 0.0f; }

}  // namespace

bool Convolver::prepare(std::size_t partition, std::size_t max_ir_frames, std::size_t fade_frames) {
    if (partition < ImpulseResponse::kMinPartition || partition > ImpulseResponse::kMaxPartition ||
        (partition & (partition - 1)) != 0 || max_ir_frames == 0)
        return false;
    partition_ = partition;
    fade_frames_ = fade_frames;
    stride_ = (partition + 1 + 15) / 16 * 16;
    slots_ = (max_ir_frames + partition - 1) / partition;
    fft_.prepare(2 * partition);
    input_.assign(2 * partition, 0.0f);
    fdl_.assign(slots_ * 2 * stride_, 0.0f);
    sum_.assign(2 * stride_, 0.0f);
    time_.assign(2 * partition, 0.0f);
    tail_.assign(partition, 0.0f);
    from_out_.assign(partition, 0.0f);
    pending_ = active_ = fading_from_ = nullptr;
    fading_ = started_ = false;
    reset();
    return true;
}

bool Convolver::set_ir(const ImpulseResponse *ir) noexcept {
    if (ir && (ir->partition() != partition_ || ir->partitions() > slots_)) return false;
    pending_ = ir;
    return true;
}

void Convolver::reset() noexcept {
    std::fill(input_.begin(), input_.end(), 0.0f);
    std::fill(fdl_.begin(), fdl_.end(), 0.0f);
    std::fill(tail_.begin(), tail_.end(), 0.0f);
    position_ = 0;
    newest_ = 0;
}

// The current 2B input window's spectrum becomes the newest FDL slot; the
// current partition becomes the previous one.
void Convolver::push_spectrum() noexcept {
    newest_ = (newest_ + 1) % slots_;
    float *re = fdl_.data() + newest_ * 2 * stride_;
    fft_.forward(input_.data(), re, re + stride_);
    std::copy(input_.begin() + static_cast<long>(partition_), input_.end(), input_.begin());
}

// sum_ = sum over p >= first_partition of S[newest - p + first_partition] H[p]:
// with first_partition 0 right after pushing block j, that is block j's whole
// output; with 1 at block j's start (newest = j - 1), everything but partition 0.
void Convolver::accumulate(const ImpulseResponse &ir, std::size_t first_partition) noexcept {
    float *__restrict sum_re = sum_.data();
    float *__restrict sum_im = sum_.data() + stride_;
    std::fill(sum_.begin(), sum_.end(), 0.0f);
    const std::size_t stride = stride_;
    std::size_t slot = newest_;
    for (std::size_t p = first_partition; p < ir.partitions(); ++p) {
        const float *__restrict x_re = fdl_.data() + slot * 2 * stride;
        const float *__restrict x_im = x_re + stride;
        const float *__restrict h_re = ir.spectra_.data() + p * 2 * stride;
        const float *__restrict h_im = h_re + stride;
        for (std::size_t k = 0; k < stride; ++k) {
            sum_re[k] += x_re[k] * h_re[k] - x_im[k] * h_im[k];
            sum_im[k] += x_re[k] * h_im[k] + x_im[k] * h_re[k];
        }
        slot = slot == 0 ? slots_ - 1 : slot - 1;
    }
    fft_.inverse(sum_re, sum_im, time_.data());
}

// The gain of the incoming IR at frame `at` of the current partition while
// fading (the outgoing one gets 1 minus it): a linear slide to 1.
float Convolver::fade_gain(std::size_t at) const noexcept {
    const std::size_t done = faded_ + at + 1;
    return done >= fade_frames_ ? 1.0f : static_cast<float>(done) / static_cast<float>(fade_frames_);
}

// At a partition boundary: take the pending IR, fading from the one before.
void Convolver::begin_partition() noexcept {
    if (fading_) {
        faded_ += partition_;
        if (faded_ >= fade_frames_) {
            fading_ = false;
            fading_from_ = nullptr;
        }
    }
    if (pending_ == active_) return;
    if (fade_frames_ > 0 && started_) {  // before any audio there is nothing to fade from
        fading_from_ = fading_ ? fading_from_ : active_;  // a change mid-fade keeps fading from the first
        fading_ = fading_from_ != pending_;
        faded_ = 0;
    }
    active_ = pending_;
}

// Block j's output through `ir` (nullptr: the input itself) once its spectrum
// is in the FDL; `current` holds block j's input.
void Convolver::whole_output(const ImpulseResponse *ir, const float *current, float *out) noexcept {
    if (!ir) {
        std::copy(current, current + partition_, out);
        return;
    }
    accumulate(*ir, 0);
    std::copy(time_.begin() + static_cast<long>(partition_), time_.end(), out);
}

// One whole partition at once: the frequency-domain path.
void Convolver::whole_partition(const float *in, float *out) noexcept {
    float *current = input_.data() + partition_;
    for (std::size_t i = 0; i < partition_; ++i) current[i] = finite_or_silence(in[i]);
    // push_spectrum moves the current input to the previous half; the output
    // of an IR that passes the signal through is that half afterwards.
    push_spectrum();  // also without an IR: the next IR finds the FDL current
    const float *pushed = input_.data();
    whole_output(active_, pushed, out);
    if (fading_) {
        whole_output(fading_from_, pushed, from_out_.data());
        for (std::size_t i = 0; i < partition_; ++i) {
            const float g = fade_gain(i);
            out[i] = g * out[i] + (1.0f - g) * from_out_[i];
        }
    }
}

// Partitions 1.. of `ir` for the current partition, from past spectra.
void Convolver::partial_tail(const ImpulseResponse *ir, float *tail) noexcept {
    if (ir && ir->partitions() > 1) {
        accumulate(*ir, 1);
        std::copy(time_.begin() + static_cast<long>(partition_), time_.end(), tail);
    } else {
        std::fill(tail, tail + partition_, 0.0f);
    }
}

void Convolver::process(const float *in, float *out, std::size_t frames) noexcept {
    if (slots_ == 0) {  // not prepared
        std::copy(in, in + frames, out);
        return;
    }
    const std::size_t b = partition_;
    while (frames > 0) {
        if (position_ == 0) begin_partition();  // IRs change only at partition boundaries
        started_ = true;
        if (position_ == 0 && frames >= b) {
            whole_partition(in, out);
            in += b;
            out += b;
            frames -= b;
            continue;
        }
        // Part of a partition: partitions 1.. from past spectra, once per
        // partition; partition 0 directly.
        if (position_ == 0) {
            partial_tail(active_, tail_.data());
            if (fading_) partial_tail(fading_from_, from_out_.data());
        }
        const std::size_t n = std::min(frames, b - position_);
        float *window = input_.data();
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t at = position_ + i;
            const float x = finite_or_silence(in[i]);
            window[b + at] = x;
            // window[at + 1 .. at + b] are the last b inputs, oldest first.
            const float y = active_ ? dot(active_->head_.data(), window + at + 1, b) + tail_[at] : x;
            if (fading_) {
                const float from = fading_from_ ? dot(fading_from_->head_.data(), window + at + 1, b) + from_out_[at] : x;
                const float g = fade_gain(at);
                out[i] = g * y + (1.0f - g) * from;
            } else {
                out[i] = y;
            }
        }
        position_ += n;
        in += n;
        out += n;
        frames -= n;
        if (position_ == b) {
            push_spectrum();
            position_ = 0;
        }
    }
}

}  // namespace pedal::dsp

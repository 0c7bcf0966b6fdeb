#include "dsp/convolver.h"

#include <algorithm>
#include <cmath>

#include "dsp/dot.h"

namespace pedal::dsp {

namespace {

float finite_or_silence(float x) noexcept { return std::isfinite(x) ? x : 0.0f; }

}  // namespace

bool Convolver::prepare(std::size_t partition, std::size_t max_ir_frames) {
    if (partition < ImpulseResponse::kMinPartition || partition > ImpulseResponse::kMaxPartition ||
        (partition & (partition - 1)) != 0 || max_ir_frames == 0)
        return false;
    partition_ = partition;
    stride_ = (partition + 1 + 15) / 16 * 16;
    slots_ = (max_ir_frames + partition - 1) / partition;
    fft_.prepare(2 * partition);
    input_.assign(2 * partition, 0.0f);
    fdl_.assign(slots_ * 2 * stride_, 0.0f);
    sum_.assign(2 * stride_, 0.0f);
    time_.assign(2 * partition, 0.0f);
    tail_.assign(partition, 0.0f);
    pending_ = active_ = nullptr;
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
void Convolver::accumulate(std::size_t first_partition) noexcept {
    float *__restrict sum_re = sum_.data();
    float *__restrict sum_im = sum_.data() + stride_;
    std::fill(sum_.begin(), sum_.end(), 0.0f);
    const std::size_t stride = stride_;
    std::size_t slot = newest_;
    for (std::size_t p = first_partition; p < active_->partitions(); ++p) {
        const float *__restrict x_re = fdl_.data() + slot * 2 * stride;
        const float *__restrict x_im = x_re + stride;
        const float *__restrict h_re = active_->spectra_.data() + p * 2 * stride;
        const float *__restrict h_im = h_re + stride;
        for (std::size_t k = 0; k < stride; ++k) {
            sum_re[k] += x_re[k] * h_re[k] - x_im[k] * h_im[k];
            sum_im[k] += x_re[k] * h_im[k] + x_im[k] * h_re[k];
        }
        slot = slot == 0 ? slots_ - 1 : slot - 1;
    }
    fft_.inverse(sum_re, sum_im, time_.data());
}

// One whole partition at once: the frequency-domain path.
void Convolver::whole_partition(const float *in, float *out) noexcept {
    float *current = input_.data() + partition_;
    for (std::size_t i = 0; i < partition_; ++i) current[i] = finite_or_silence(in[i]);
    if (!active_) std::copy(current, current + partition_, out);
    push_spectrum();  // also without an IR: the next IR finds the FDL current
    if (active_) {
        accumulate(0);
        std::copy(time_.begin() + static_cast<long>(partition_), time_.end(), out);
    }
}

void Convolver::process(const float *in, float *out, std::size_t frames) noexcept {
    if (slots_ == 0) {  // not prepared
        std::copy(in, in + frames, out);
        return;
    }
    const std::size_t b = partition_;
    while (frames > 0) {
        if (position_ == 0) active_ = pending_;  // IRs change only at partition boundaries
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
            if (active_ && active_->partitions() > 1) {
                accumulate(1);
                std::copy(time_.begin() + static_cast<long>(b), time_.end(), tail_.begin());
            } else {
                std::fill(tail_.begin(), tail_.end(), 0.0f);
            }
        }
        const std::size_t n = std::min(frames, b - position_);
        float *window = input_.data();
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t at = position_ + i;
            const float x = finite_or_silence(in[i]);
            window[b + at] = x;
            // window[at + 1 .. at + b] are the last b inputs, oldest first.
            out[i] = active_ ? dot(active_->head_.data(), window + at + 1, b) + tail_[at] : x;
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

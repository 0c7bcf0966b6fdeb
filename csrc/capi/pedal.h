/* pedal.h: the C ABI of the pedal core, the only seam between Python and C++.
 *
 * Opaque handles, plain C types, no exceptions. A handle is used by one thread
 * at a time; pedal_model_process and pedal_model_reset never allocate, lock or
 * do I/O, so the audio thread may call them.
 *
 * The block between the cdef markers is fed verbatim to cffi; keep it free of
 * preprocessor lines. */
#ifndef PEDAL_CAPI_PEDAL_H
#define PEDAL_CAPI_PEDAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* cdef-begin */
typedef struct pedal_model pedal_model;

/* Version of the core, e.g. "0.1.0". */
const char *pedal_version(void);

/* The instruction set this build was compiled for ("baseline", "avx2+fma", ...). */
const char *pedal_build_isa(void);

/* 1 when this CPU can run the AVX2+FMA build (x86-64 only). */
int pedal_cpu_has_avx2_fma(void);

/* Loads a model from the bytes of a model file (JSON). Returns NULL on failure
 * and writes a NUL-terminated one-line reason into error (truncated to
 * error_capacity bytes; error may be NULL). */
pedal_model *pedal_model_load(const char *bytes, size_t size, char *error, size_t error_capacity);

/* The same for files that hold one capture at several sizes (NAM's
 * SlimmableContainer, slimmable WaveNets): model_size in [0, 1] picks the
 * first submodel, by ascending max_value, whose max_value >= model_size (the
 * largest when none is); pedal_model_load plays 1.0. The info JSON then lists
 * "submodels" (max_value, architecture, parameters, receptive_field), the
 * index "playing" and the "size" asked for. Other files ignore model_size. */
pedal_model *pedal_model_load_sized(const char *bytes, size_t size, double model_size, char *error,
                                    size_t error_capacity);

/* Frees a model; NULL is allowed. Not for the audio thread. */
void pedal_model_free(pedal_model *model);

/* Runs n mono samples through the model; any n, in == out allowed. */
void pedal_model_process(pedal_model *model, const float *in, float *out, size_t n);

/* One process call's arguments, kept from one call to the next. An audio loop
 * passes the same two buffers every period; bound once, each period's call
 * passes one pointer, since converting arguments is most of what a call from
 * Python costs (cffi converts each one on every call). */
typedef struct pedal_model_call {
    pedal_model *model;
    const float *input;
    float *output;
    size_t frames;
} pedal_model_call;

/* pedal_model_process(call->model, call->input, call->output, call->frames). */
void pedal_model_process_call(const pedal_model_call *call);

/* Restores the state the model had right after loading. */
void pedal_model_reset(pedal_model *model);

double pedal_model_sample_rate(const pedal_model *model);
size_t pedal_model_receptive_field(const pedal_model *model);
size_t pedal_model_parameter_count(const pedal_model *model);
const char *pedal_model_format(const pedal_model *model);
const char *pedal_model_architecture(const pedal_model *model);
/* Everything above plus the network's shape ("config") and the file's
 * descriptive fields ("metadata"), as one JSON object owned by the model. */
const char *pedal_model_info_json(const pedal_model *model);
/* A model trained with knob inputs (info's "knobs": name, min, max, default, in
 * input order): puts knob `knob` at `value` (clamped to its range) from the
 * next sample, for a model not handed to an engine (the rig's starting
 * position). 0 for a knob the model does not have or a non-finite value. */
int pedal_model_set_knob(pedal_model *model, size_t knob, float value);

/* The engine: the signal chain the audio thread runs around the model.
 * pedal_engine_process is for the audio thread; set_model/collect_garbage/free
 * are for one control thread at a time; setters and stats for any thread. */
typedef struct pedal_engine pedal_engine;

/* Kept equal to engine::Param (static_asserts in capi/pedal.cpp); the ranges
 * and defaults are in the table pedal_param_describe reads. */
enum pedal_param {
    PEDAL_INPUT_GAIN_DB = 0,       /* before the gate and model */
    PEDAL_OUTPUT_LEVEL_DB = 1,     /* master level */
    PEDAL_CROSSFADE_MS = 2,        /* model changes and bypass */
    PEDAL_GATE_THRESHOLD_DB = 3,   /* dBFS */
    PEDAL_GATE_HYSTERESIS_DB = 4,
    PEDAL_GATE_ATTACK_MS = 5,
    PEDAL_GATE_HOLD_MS = 6,
    PEDAL_GATE_RELEASE_MS = 7,
    PEDAL_EQ_BASS_DB = 8,
    PEDAL_EQ_MID_DB = 9,
    PEDAL_EQ_TREBLE_DB = 10,
    PEDAL_LIMITER_CEILING_DB = 11, /* dBFS */
    PEDAL_GATE_ON = 12,            /* 0/1: take a block out of the chain or put it back */
    PEDAL_EQ_ON = 13,
    PEDAL_CABINET_ON = 14,
    PEDAL_DC_BLOCKER_ON = 15,
    PEDAL_LIMITER_ON = 16
};

/* One row of the engine's parameter table (csrc/engine/params.h): the only
 * place the ranges and defaults are written. The strings are static. */
typedef struct {
    const char *name;      /* e.g. "input_gain_db": the key Python uses */
    const char *unit;      /* "dB", "dBFS", "ms", or "on/off" for a block's switch */
    double min, max;       /* pedal_engine_set_param clamps to these */
    double default_value;  /* what a new engine starts with */
} pedal_param_info;

/* Rows in the table; row i describes enum pedal_param value i. */
size_t pedal_param_count(void);
/* Fills *out with row `index`; 0 (out untouched) when index >= pedal_param_count()
 * or out is NULL. */
int pedal_param_describe(size_t index, pedal_param_info *out);

typedef struct {
    float input_peak, output_peak;                 /* linear, since the last read */
    double block_us_min, block_us_avg, block_us_max; /* time per block, since the last read */
    uint64_t blocks, muted_blocks, bad_input_blocks;
    uint64_t model_id;                             /* 0: no model */
    int bypassed, switching;
    double latency;                                /* samples */
} pedal_engine_stats;

/* max_block: the largest block process() will be given at once (longer
 * blocks are split). NULL with a reason in error on bad arguments. */
pedal_engine *pedal_engine_new(double sample_rate, size_t max_block, char *error, size_t error_capacity);
void pedal_engine_free(pedal_engine *engine);
void pedal_engine_process(pedal_engine *engine, const float *in, float *out, size_t n);
/* The same with its arguments kept (see pedal_model_call). */
typedef struct pedal_engine_call {
    pedal_engine *engine;
    const float *input;
    float *output;
    size_t frames;
} pedal_engine_call;
void pedal_engine_process_call(const pedal_engine_call *call);
/* The engine takes the model (never use or free it afterwards; NULL means no
 * model: input passes through), warms it up on the live input, then
 * crossfades to it. input_gain_db calibrates its input (e.g. from the file's
 * dBu level), output_gain_db normalises its loudness. Returns the id that
 * stats report while it plays (0 for no model). */
uint64_t pedal_engine_set_model(pedal_engine *engine, pedal_model *model, float input_gain_db, float output_gain_db);
/* A chain of captures in series (a rig: a drive into an amp), handed over
 * whole: warmed up on the live input and crossfaded in like one model. The
 * engine takes every model in models[0..count) (NULL entries are not allowed;
 * never use or free them afterwards, whatever this returns). count 0: no model,
 * the input passes through. Each stage has its own input and output gain in dB
 * (NULL arrays: 0 dB) and, when trained at another rate, its own resampling.
 * Returns the chain's id as set_model does; 0, the models freed and the engine
 * playing what it had, when count > PEDAL_MAX_CHAIN, an entry is NULL or
 * memory runs out. */
enum { PEDAL_MAX_CHAIN = 4 };
uint64_t pedal_engine_set_chain(pedal_engine *engine, pedal_model *const *models, const float *input_gains_db,
                                const float *output_gains_db, size_t count);
/* A mono cabinet impulse response at `rate` (resampled to the engine's rate,
 * cut to 1 s); frames 0 removes the cabinet. Returns 0, changing nothing,
 * when the samples are unusable (non-finite, absurd rate). */
int pedal_engine_set_ir(pedal_engine *engine, const float *samples, size_t frames, double rate);
/* Settings that change with the next chain handed over (set_model, set_chain),
 * when it begins to fade in after its warm-up: a rig's levels, EQ, gate and
 * cabinet then arrive with its captures, not on the old captures before them.
 * A parameter as pedal_engine_set_param takes it (0: unknown or not finite);
 * the cabinet as pedal_engine_set_ir takes it (frames 0: none; 0, staging
 * nothing, when unusable). Control side. */
int pedal_engine_stage_param(pedal_engine *engine, int param, float value);
int pedal_engine_stage_ir(pedal_engine *engine, const float *samples, size_t frames, double rate);
/* Turns knob `knob` of capture `stage` (0 = first) of the chain last handed
 * over (set_model: stage 0) to `value`, while it plays: the model glides there
 * over 10 ms (no zipper noise). The caller keeps to the knob's range (info's
 * "knobs"). Control side. 0 for a stage or knob that is not there or a
 * non-finite value. */
int pedal_engine_set_knob(pedal_engine *engine, size_t stage, size_t knob, float value);
/* Frees models and impulse responses the audio thread has finished with. */
void pedal_engine_collect_garbage(pedal_engine *engine);
void pedal_engine_set_bypass(pedal_engine *engine, int on);
/* Returns 0 for an unknown parameter or a non-finite value. */
int pedal_engine_set_param(pedal_engine *engine, int param, float value);
void pedal_engine_read_stats(pedal_engine *engine, pedal_engine_stats *out);
/* Samples from input to output at the engine's rate, for the model playing now. */
double pedal_engine_latency(const pedal_engine *engine);
/* The tuner's pitch detector (dsp/pitch_detector.h): McLeod's method on the
 * input, refined at the input's rate. push is the audio thread's (no
 * allocation); analyse reads the last window (85 ms) from one other thread, or
 * after push on the same one. */
typedef struct pedal_tuner pedal_tuner;
typedef struct pedal_pitch {
    double hz;         /* 0: no note (too quiet, or no clear period) */
    double clarity;    /* how periodic: 1 for a pure tone */
    double level_db;   /* RMS of the window, dBFS */
} pedal_pitch;
/* NULL for a rate outside 8000..384000 Hz or no memory. */
pedal_tuner *pedal_tuner_new(double rate);
void pedal_tuner_free(pedal_tuner *tuner);
void pedal_tuner_push(pedal_tuner *tuner, const float *in, size_t frames);
/* The pitch of the last window; no note below `threshold_db`. 0 when tuner or out is NULL. */
int pedal_tuner_analyse(pedal_tuner *tuner, double threshold_db, pedal_pitch *out);
/* The engine's own tuner: while on, the input goes to a pitch detector and the
 * output is muted (10 ms ramp) or bypassed (the dry signal, through the bypass
 * crossfade). Turning it on forgets what it heard before. Any thread; 0 for an
 * unknown mode. */
enum pedal_tuner_mode { PEDAL_TUNER_OFF = 0, PEDAL_TUNER_MUTE = 1, PEDAL_TUNER_THROUGH = 2 };
int pedal_engine_set_tuner(pedal_engine *engine, int mode);
/* The pitch of the last 85 ms heard while tuning (hz 0 with the tuner off, for
 * the first 85 ms, or below threshold_db). One control thread at a time. 0 when
 * engine or out is NULL. */
int pedal_engine_read_tuner(pedal_engine *engine, double threshold_db, pedal_pitch *out);

/* cdef-end */

#ifdef __cplusplus
}
#endif

#endif

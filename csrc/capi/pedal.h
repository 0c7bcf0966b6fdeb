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

#ifdef __cplusplus
extern "C" {
#endif

/* cdef-begin */
typedef struct pedal_model pedal_model;

/* Version of the core, e.g. "0.1.0". */
const char *pedal_version(void);

/* Loads a model from the bytes of a model file (JSON). Returns NULL on failure
 * and writes a NUL-terminated one-line reason into error (truncated to
 * error_capacity bytes; error may be NULL). */
pedal_model *pedal_model_load(const char *bytes, size_t size, char *error, size_t error_capacity);

/* Frees a model; NULL is allowed. Not for the audio thread. */
void pedal_model_free(pedal_model *model);

/* Runs n mono samples through the model; any n, in == out allowed. */
void pedal_model_process(pedal_model *model, const float *in, float *out, size_t n);

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
/* cdef-end */

#ifdef __cplusplus
}
#endif

#endif

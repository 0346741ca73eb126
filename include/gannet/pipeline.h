/* gannet/pipeline.h: `gannet pipeline`: from data to a published model with no hands. A pipeline
 * file (YAML, docs/pipeline-file.md) names the data, the parameters or a search space, the gate
 * and the model repository; gn_pipeline_run runs its steps in order:
 *
 *     describe -> tune (or cv) -> train (refit the best) -> eval (test data) -> gate -> publish
 *
 * calling the library (gn_describe, gn_tune / gn_cv, gn_train, gn_evaluate, gn_repo_publish).
 * Like make, each step's inputs (data file contents by XXH3 checksum, parameters, the outputs of
 * the steps before it, the library version) are hashed, and a step whose hash matches its last
 * successful run is skipped and its stored outputs reused. State lives next to the pipeline file
 * in .gannet-pipeline/NAME/ (steps/, runs/, reports/), every file written atomically. Every run
 * writes a run record (runs/RUN-ID.json): steps with timings and why each was skipped or failed,
 * metrics, chosen parameters, data checksums, gate decisions, the version published, and an HTML
 * report (gannet/report.h). A failed gate publishes nothing; a killed run leaves the repository
 * and its `current` pointer as they were (publishing is atomic, gannet/repo.h).
 *
 * The library never prints: progress lines go to options.log. Thread-safety: one run per
 * pipeline file at a time (runs of one file are serialised by a lock in its state directory). */
#ifndef GANNET_PIPELINE_H
#define GANNET_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"

#include "gannet/status.h"

#ifdef __cplusplus
extern "C" {
#endif
GN_API_BEGIN

typedef struct gn_pipeline gn_pipeline;

/* Reads and checks a pipeline file: GN_EPARSE / GN_EINVAL "file:line: reason" for bad YAML, an
 * unknown key, a bad parameter value, a data pattern that matches no file. */
gn_status gn_pipeline_load(const char *path, gn_pipeline **out);
void gn_pipeline_free(gn_pipeline *p);
/* The pipeline's name and its state directory (owned by p). */
const char *gn_pipeline_name(const gn_pipeline *p);
const char *gn_pipeline_state_dir(const gn_pipeline *p);

typedef struct gn_pipeline_options {
    int force;           /* 1: run every step, whatever the hashes say */
    uint32_t threads;    /* 0: all cores */
    gn_log_fn log;       /* one line per step start/skip/end; may be NULL */
    void *log_user;
} gn_pipeline_options;

void gn_pipeline_options_init(gn_pipeline_options *o);

typedef enum gn_pipeline_outcome {
    GN_PIPELINE_PUBLISHED = 0,   /* a new version was published and made current */
    GN_PIPELINE_UNCHANGED = 1,   /* nothing to do: this model is already published */
    GN_PIPELINE_GATE_FAILED = 2, /* the gate refused the model; nothing published */
    GN_PIPELINE_NO_PUBLISH = 3,  /* passed, but the file has no publish step */
    GN_PIPELINE_FAILED = 4       /* a step failed (the status says why) */
} gn_pipeline_outcome;

typedef struct gn_pipeline_result {
    gn_pipeline_outcome outcome;
    uint32_t version;        /* published (or already published) version; 0 if none */
    size_t steps_run, steps_skipped;
    double seconds;
    char run_id[64];
    char record_path[4096];  /* the run record written */
    char report_path[4096];  /* the HTML report written ("" if none) */
    char reason[1024];       /* the gate's refusal, or the failure */
} gn_pipeline_result;

/* Runs the pipeline. GN_OK when every step ran or was skipped and the gate's decision was made
 * (result->outcome says which; a refused gate is GN_OK with GN_PIPELINE_GATE_FAILED); else the
 * failing step's status, with the run record still written (result->outcome FAILED). */
gn_status gn_pipeline_run(gn_pipeline *p, const gn_pipeline_options *o, gn_pipeline_result *result);

/* The run records of the pipeline at path (without running it), oldest first, as one JSON array
 * text (free with free()). */
gn_status gn_pipeline_runs_json(const char *path, char **json);

GN_API_END
#ifdef __cplusplus
}
#endif
#endif

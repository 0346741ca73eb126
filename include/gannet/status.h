/* gannet/status.h: the status codes every public call returns, and GN_API, which marks the
 * calls the shared library exports. Included by every public header. */
#ifndef GANNET_STATUS_H
#define GANNET_STATUS_H

/* GN_API_BEGIN / GN_API_END enclose the declarations of every public header: they are the
 * library's exported calls. The library is compiled with hidden visibility, so the shared
 * libgannet.so exports these gn_* calls and nothing else (no internal gn__ symbol). */
#if defined(__GNUC__) || defined(__clang__)
#define GN_API_BEGIN _Pragma("GCC visibility push(default)")
#define GN_API_END _Pragma("GCC visibility pop")
#else
#define GN_API_BEGIN
#define GN_API_END
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. Values never change once released; new codes are added at the end. */
typedef enum gn_status {
    GN_OK = 0,
    GN_EINVAL = 1,      /* invalid argument or option */
    GN_ENOMEM = 2,      /* out of memory */
    GN_EIO = 3,         /* read/write/open failed */
    GN_EPARSE = 4,      /* bad input data (message names file:line) */
    GN_EFORMAT = 5,     /* not a gannet file, or a structurally broken one */
    GN_ECHECKSUM = 6,   /* checksum mismatch: corrupt file */
    GN_EVERSION = 7,    /* file written by a newer, unsupported format version */
    GN_EUNSUPPORTED = 8,/* feature not available in this build / this model kind */
    GN_ELIMIT = 9,      /* an input exceeded a configured limit */
    GN_EINTERNAL = 10,  /* bug: an invariant did not hold */
    GN_EMPI = 11,       /* distributed (MPI) failure */
    GN_ESTALE = 12,     /* a cache or checkpoint does not match its source or flags */
    GN_EOF = 13,        /* end of data (returned by iterators, not an error for callers) */
    GN_ECANCELED = 14   /* stopped by the caller (gn_train_options.stop) */
} gn_status;

#ifdef __cplusplus
}
#endif
#endif

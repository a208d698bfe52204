/*
 * How the C side of sti-jpeg turns libjpeg's fatal errors into return codes: libjpeg
 * reports one by calling error_exit, which must not return; `sti_jpeg_fail` formats the
 * message and jumps back (longjmp) to the entry point that was called, so that no Rust
 * frame is ever crossed. Each entry point sets `on_error` before it calls into libjpeg.
 */
#ifndef STI_JPEG_ERRORS_H
#define STI_JPEG_ERRORS_H

#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "jpeglib.h"

enum { STI_OK = 0, STI_ERROR = 1, STI_UNSUPPORTED = 2 };

struct sti_jpeg_errors {
    struct jpeg_error_mgr manager;
    jmp_buf on_error;
    char message[JMSG_LENGTH_MAX];
};

static void sti_jpeg_fail(j_common_ptr cinfo) {
    struct sti_jpeg_errors *errors = (struct sti_jpeg_errors *)cinfo->client_data;
    cinfo->err->format_message(cinfo, errors->message);
    longjmp(errors->on_error, 1);
}

/* Warnings (corrupt data libjpeg can go past, a premature end) are not errors: the
 * decoder fills what is missing, as browsers show such files. */
static void sti_jpeg_quiet(j_common_ptr cinfo, int level) {
    (void)cinfo;
    (void)level;
}

/* Routes the fatal errors of `cinfo` (a compressor's or a decompressor's) to `errors`. */
static inline void sti_jpeg_catch(j_common_ptr cinfo, struct sti_jpeg_errors *errors) {
    cinfo->err = jpeg_std_error(&errors->manager);
    errors->manager.error_exit = sti_jpeg_fail;
    errors->manager.emit_message = sti_jpeg_quiet;
    cinfo->client_data = errors;
}

static inline void sti_jpeg_say(struct sti_jpeg_errors *errors, const char *message) {
    strncpy(errors->message, message, sizeof errors->message - 1);
}

#endif

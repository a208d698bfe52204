/*
 * The C side of sti-jpeg: libjpeg reports a fatal error by calling error_exit, which
 * must not return. Here it jumps back (longjmp) to the entry point that was called, so
 * that no Rust frame is ever crossed: every function below sets its own jump target
 * before it calls into libjpeg and turns a fatal error into a return code and a message.
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jpeglib.h"

struct sti_jpeg {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr errors;
    jmp_buf on_error;
    char message[JMSG_LENGTH_MAX];
};

enum { STI_OK = 0, STI_ERROR = 1, STI_UNSUPPORTED = 2 };

static void fail(j_common_ptr cinfo) {
    struct sti_jpeg *d = (struct sti_jpeg *)cinfo->client_data;
    cinfo->err->format_message(cinfo, d->message);
    longjmp(d->on_error, 1);
}

/* Warnings (corrupt data libjpeg can go past, a premature end) are not errors: the
 * decoder fills what is missing, as browsers show such files. */
static void quiet(j_common_ptr cinfo, int level) {
    (void)cinfo;
    (void)level;
}

struct sti_jpeg *sti_jpeg_new(void) {
    /* volatile: read again after a longjmp back here. */
    struct sti_jpeg *volatile d = calloc(1, sizeof(struct sti_jpeg));
    if (d == NULL) {
        return NULL;
    }
    d->cinfo.err = jpeg_std_error(&d->errors);
    d->errors.error_exit = fail;
    d->errors.emit_message = quiet;
    d->cinfo.client_data = d;
    if (setjmp(d->on_error)) {
        free(d);
        return NULL;
    }
    jpeg_create_decompress(&d->cinfo);
    return d;
}

void sti_jpeg_free(struct sti_jpeg *d) {
    if (d == NULL) {
        return;
    }
    jpeg_destroy_decompress(&d->cinfo);
    free(d);
}

const char *sti_jpeg_message(const struct sti_jpeg *d) {
    return d->message;
}

/* The smallest of 1/8, 2/8, 4/8 and 8/8 (the scales with SIMD inverse DCTs) whose
 * output's longer side is still at least `min_side`. */
static unsigned int scale_for(unsigned int width, unsigned int height, unsigned int min_side) {
    unsigned int longer = width > height ? width : height;
    for (unsigned int n = 1; n < 8; n *= 2) {
        /* libjpeg rounds a scaled side up. */
        if ((longer * n + 7) / 8 >= min_side) {
            return n;
        }
    }
    return 8;
}

/* Reads the headers from `data` (which must outlive the decoding), picks the scale and
 * caps the decoder's large buffers at `max_memory` bytes; sets the output's size and
 * channels (1 grey, 3 RGB). STI_UNSUPPORTED for CMYK, YCCK and 12-bit files. */
int sti_jpeg_header(struct sti_jpeg *d, const unsigned char *data, unsigned long size, unsigned int min_side,
                    unsigned long max_memory, unsigned int *width, unsigned int *height, unsigned int *channels) {
    if (setjmp(d->on_error)) {
        return STI_ERROR;
    }
    d->cinfo.mem->max_memory_to_use = (long)max_memory;
    jpeg_mem_src(&d->cinfo, data, size);
    jpeg_read_header(&d->cinfo, TRUE);
    if (d->cinfo.data_precision != 8) {
        strncpy(d->message, "samples other than 8-bit", sizeof d->message - 1);
        return STI_UNSUPPORTED;
    }
    switch (d->cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
        d->cinfo.out_color_space = JCS_GRAYSCALE;
        break;
    case JCS_YCbCr:
    case JCS_RGB:
        d->cinfo.out_color_space = JCS_RGB;
        break;
    default:
        strncpy(d->message, "colour space other than grey, YCbCr or RGB", sizeof d->message - 1);
        return STI_UNSUPPORTED;
    }
    d->cinfo.scale_num = scale_for(d->cinfo.image_width, d->cinfo.image_height, min_side);
    d->cinfo.scale_denom = 8;
    jpeg_calc_output_dimensions(&d->cinfo);
    *width = d->cinfo.output_width;
    *height = d->cinfo.output_height;
    *channels = (unsigned int)d->cinfo.output_components;
    return STI_OK;
}

/* Decodes into `out`, which holds `height` rows of `width * channels` bytes as
 * sti_jpeg_header announced them. */
int sti_jpeg_read(struct sti_jpeg *d, unsigned char *out, size_t out_size) {
    if (setjmp(d->on_error)) {
        return STI_ERROR;
    }
    jpeg_start_decompress(&d->cinfo);
    size_t stride = (size_t)d->cinfo.output_width * (size_t)d->cinfo.output_components;
    if (stride * d->cinfo.output_height > out_size) {
        strncpy(d->message, "output buffer smaller than the image", sizeof d->message - 1);
        return STI_ERROR;
    }
    while (d->cinfo.output_scanline < d->cinfo.output_height) {
        JSAMPROW row = out + stride * d->cinfo.output_scanline;
        if (jpeg_read_scanlines(&d->cinfo, &row, 1) != 1) {
            strncpy(d->message, "the decoder stopped before the last row", sizeof d->message - 1);
            return STI_ERROR;
        }
    }
    jpeg_finish_decompress(&d->cinfo);
    return STI_OK;
}

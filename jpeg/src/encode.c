/*
 * The encoding half of sti-jpeg's C side: baseline JPEG from grey or RGB rows, with
 * libjpeg-turbo's defaults (MozJPEG's slow extensions — trellis quantisation, progressive
 * scans, optimised tables — are switched off by its "fastest" profile), 4:2:0 chroma, and
 * no marker but JFIF's: nothing else is ever written into a file we keep.
 */
#include <stdlib.h>

#include "errors.h"

struct sti_jpeg_encoder {
    /* First, so that libjpeg's callbacks can find the rest from the cinfo they are given. */
    struct jpeg_compress_struct cinfo;
    struct sti_jpeg_errors errors;
    struct jpeg_destination_mgr destination;
    /* The output, grown here (not by libjpeg's memory destination, whose buffer cannot be
     * found again after a fatal error half-way): always the live allocation, freed with
     * the encoder. */
    unsigned char *buffer;
    size_t capacity;
    size_t size;
};

static void start_output(j_compress_ptr cinfo) {
    struct sti_jpeg_encoder *e = (struct sti_jpeg_encoder *)cinfo;
    e->destination.next_output_byte = e->buffer;
    e->destination.free_in_buffer = e->capacity;
}

/* Called when the buffer is full: twice the room, the bytes so far kept. */
static boolean grow_output(j_compress_ptr cinfo) {
    struct sti_jpeg_encoder *e = (struct sti_jpeg_encoder *)cinfo;
    size_t grown = e->capacity * 2;
    unsigned char *moved = realloc(e->buffer, grown);
    if (moved == NULL) {
        /* A fatal error, as libjpeg's own: back to the entry point that was called. */
        sti_jpeg_say(&e->errors, "out of memory for the output");
        longjmp(e->errors.on_error, 1);
    }
    e->destination.next_output_byte = moved + e->capacity;
    e->destination.free_in_buffer = grown - e->capacity;
    e->buffer = moved;
    e->capacity = grown;
    return TRUE;
}

static void end_output(j_compress_ptr cinfo) {
    struct sti_jpeg_encoder *e = (struct sti_jpeg_encoder *)cinfo;
    e->size = e->capacity - e->destination.free_in_buffer;
}

struct sti_jpeg_encoder *sti_jpeg_encoder_new(void) {
    /* volatile: read again after a longjmp back here. */
    struct sti_jpeg_encoder *volatile e = calloc(1, sizeof(struct sti_jpeg_encoder));
    if (e == NULL) {
        return NULL;
    }
    sti_jpeg_catch((j_common_ptr)&e->cinfo, &e->errors);
    if (setjmp(e->errors.on_error)) {
        free(e);
        return NULL;
    }
    jpeg_create_compress(&e->cinfo);
    return e;
}

void sti_jpeg_encoder_free(struct sti_jpeg_encoder *e) {
    if (e == NULL) {
        return;
    }
    jpeg_destroy_compress(&e->cinfo);
    free(e->buffer);
    free(e);
}

const char *sti_jpeg_encoder_message(const struct sti_jpeg_encoder *e) {
    return e->errors.message;
}

/* Encodes `height` rows of `width * channels` bytes (1 grey, 3 RGB) at `quality` (1-100).
 * The file is then at sti_jpeg_encoded. */
int sti_jpeg_encode(struct sti_jpeg_encoder *e, const unsigned char *pixels, unsigned int width,
                    unsigned int height, unsigned int channels, int quality) {
    if (setjmp(e->errors.on_error)) {
        return STI_ERROR;
    }
    if (channels != 1 && channels != 3) {
        sti_jpeg_say(&e->errors, "only grey or RGB pixels are encoded");
        return STI_ERROR;
    }
    /* Room for a typical photo at quality 85 (about 1.5 bits a pixel), grown if needed. */
    size_t room = (size_t)width * height * channels / 12 + 16384;
    if (e->buffer == NULL) {
        e->buffer = malloc(room);
        if (e->buffer == NULL) {
            sti_jpeg_say(&e->errors, "out of memory for the output");
            return STI_ERROR;
        }
        e->capacity = room;
    }
    e->destination.init_destination = start_output;
    e->destination.empty_output_buffer = grow_output;
    e->destination.term_destination = end_output;
    e->cinfo.dest = &e->destination;
    e->cinfo.image_width = width;
    e->cinfo.image_height = height;
    e->cinfo.input_components = (int)channels;
    e->cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    /* Before jpeg_set_defaults, which reads it. */
    jpeg_c_set_int_param(&e->cinfo, JINT_COMPRESS_PROFILE, JCP_FASTEST);
    jpeg_set_defaults(&e->cinfo);
    jpeg_set_quality(&e->cinfo, quality, TRUE);
    jpeg_start_compress(&e->cinfo, TRUE);
    size_t stride = (size_t)width * channels;
    while (e->cinfo.next_scanline < e->cinfo.image_height) {
        /* libjpeg's rows are not const, but the compressor only reads them. */
        JSAMPROW row = (JSAMPROW)(pixels + stride * e->cinfo.next_scanline);
        jpeg_write_scanlines(&e->cinfo, &row, 1);
    }
    jpeg_finish_compress(&e->cinfo);
    return STI_OK;
}

const unsigned char *sti_jpeg_encoded(const struct sti_jpeg_encoder *e, unsigned long *size) {
    *size = (unsigned long)e->size;
    return e->buffer;
}

/*
 * The decoding half of sti-jpeg's C side: every function below sets its own jump target
 * (errors.h) before it calls into libjpeg and turns a fatal error into a return code and
 * a message.
 */
#include <stdlib.h>
#include <string.h>

#include "errors.h"

struct sti_jpeg {
    struct jpeg_decompress_struct cinfo;
    struct sti_jpeg_errors errors;
};

struct sti_jpeg *sti_jpeg_new(void) {
    /* volatile: read again after a longjmp back here. */
    struct sti_jpeg *volatile d = calloc(1, sizeof(struct sti_jpeg));
    if (d == NULL) {
        return NULL;
    }
    sti_jpeg_catch((j_common_ptr)&d->cinfo, &d->errors);
    if (setjmp(d->errors.on_error)) {
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
    return d->errors.message;
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

/* Reads the headers from `data` (which must outlive the decoding), keeping the APP1
 * segments (EXIF), picks the scale and caps the decoder's large buffers at `max_memory`
 * bytes; sets the file's size and the output's size and channels (1 grey, 3 RGB, 4 CMYK
 * as stored: CMYK and YCCK files). STI_UNSUPPORTED for 12-bit files. */
int sti_jpeg_header(struct sti_jpeg *d, const unsigned char *data, unsigned long size, unsigned int min_side,
                    unsigned long max_memory, unsigned int *file_width, unsigned int *file_height,
                    unsigned int *width, unsigned int *height, unsigned int *channels) {
    if (setjmp(d->errors.on_error)) {
        return STI_ERROR;
    }
    d->cinfo.mem->max_memory_to_use = (long)max_memory;
    jpeg_mem_src(&d->cinfo, data, size);
    jpeg_save_markers(&d->cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&d->cinfo, TRUE);
    *file_width = d->cinfo.image_width;
    *file_height = d->cinfo.image_height;
    if (d->cinfo.data_precision != 8) {
        sti_jpeg_say(&d->errors, "samples other than 8-bit");
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
    case JCS_CMYK:
    case JCS_YCCK:
        d->cinfo.out_color_space = JCS_CMYK;
        break;
    default:
        sti_jpeg_say(&d->errors, "colour space other than grey, YCbCr, RGB, CMYK or YCCK");
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

/* The first APP1 segment that holds EXIF, from the TIFF header on (`*size` 0 when there
 * is none). Valid until the decoding finishes: copy it after sti_jpeg_header. */
void sti_jpeg_exif(const struct sti_jpeg *d, const unsigned char **exif, unsigned int *size) {
    static const unsigned char signature[6] = {'E', 'x', 'i', 'f', 0, 0};
    *exif = NULL;
    *size = 0;
    for (jpeg_saved_marker_ptr m = d->cinfo.marker_list; m != NULL; m = m->next) {
        if (m->marker == JPEG_APP0 + 1 && m->data_length > sizeof signature &&
            memcmp(m->data, signature, sizeof signature) == 0) {
            *exif = m->data + sizeof signature;
            *size = m->data_length - (unsigned int)sizeof signature;
            return;
        }
    }
}

/* Decodes into `out`, which holds `height` rows of `width * channels` bytes as
 * sti_jpeg_header announced them. */
int sti_jpeg_read(struct sti_jpeg *d, unsigned char *out, size_t out_size) {
    if (setjmp(d->errors.on_error)) {
        return STI_ERROR;
    }
    jpeg_start_decompress(&d->cinfo);
    size_t stride = (size_t)d->cinfo.output_width * (size_t)d->cinfo.output_components;
    if (stride * d->cinfo.output_height > out_size) {
        sti_jpeg_say(&d->errors, "output buffer smaller than the image");
        return STI_ERROR;
    }
    while (d->cinfo.output_scanline < d->cinfo.output_height) {
        JSAMPROW row = out + stride * d->cinfo.output_scanline;
        if (jpeg_read_scanlines(&d->cinfo, &row, 1) != 1) {
            sti_jpeg_say(&d->errors, "the decoder stopped before the last row");
            return STI_ERROR;
        }
    }
    jpeg_finish_decompress(&d->cinfo);
    return STI_OK;
}

/* io/dirtree.h: a directory tree DIR/<class>/<doc> (--format dir: the layout of the newsgroup and
 * review corpora) read as a stream of records "class<TAB>document<LF>", one per file, for the
 * line reader (io/linereader.c). In a document, line breaks (CR, LF) read as spaces, so a record
 * is one line; a NUL byte or invalid UTF-8 fails the stream with a message naming the file.
 *
 * The classes are the subdirectories of DIR (hidden ones, names starting with '.', are skipped;
 * so are plain files directly in DIR, such as a README); the documents are the files in each
 * class directory (symbolic links followed, hidden files skipped, no deeper levels). The records
 * come in a fixed order that mixes the classes: sorted by a hash of "class/name", so online
 * learners do not see one class after the other, and every read of the same tree gives the same
 * order whatever the file system's. */
#ifndef GN_IO_DIRTREE_H
#define GN_IO_DIRTREE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gannet/gannet.h"

typedef struct gn_dir_tree gn_dir_tree;

/* Lists the tree at root. GN_EIO (not a directory, unreadable, no class subdirectory, no
 * document), GN_EINVAL (a class name with a tab, newline or invalid UTF-8), GN_ENOMEM; the
 * message names the path. */
int gn__dir_tree_open(const char *root, gn_dir_tree **out);
/* The documents' names without their sizes (a stat only where the directory entry does not say
 * whether it is a regular file): cheap where only the documents' classes matter (the label scan);
 * bytes are then not known and the tree is not to be read. */
int gn__dir_tree_open_names(const char *root, gn_dir_tree **out);
/* The classes only (no document listed: docs 0, nothing to read), GN_EIO and GN_EINVAL as above
 * but for documents: cheap where only the class names matter. */
int gn__dir_tree_open_classes(const char *root, gn_dir_tree **out);
/* Copies up to cap bytes of the stream into dst: the count, 0 at the end, or -1 with the error
 * in gn_last_error() (a file that cannot be read, a NUL byte or invalid UTF-8, naming the file). */
ssize_t gn__dir_tree_read(gn_dir_tree *t, char *dst, size_t cap);
/* Helper threads reading documents ahead (0: read in the calling thread), before the first read;
 * the stream is the same whatever their number. gn__dir_tree_open sets the default: the
 * environment's GN_DIR_READERS when set (a tuning and testing knob), else 1 on two or three cores
 * and 2 from four. */
void gn__dir_tree_set_readers(gn_dir_tree *t, uint32_t n);
uint32_t gn__dir_tree_default_readers(void);
/* The documents' total size in bytes (for progress), and how many there are. */
uint64_t gn__dir_tree_bytes(const gn_dir_tree *t);
size_t gn__dir_tree_docs(const gn_dir_tree *t);
/* The class names, sorted (owned by t). */
size_t gn__dir_tree_classes(const gn_dir_tree *t, const char *const **names);
/* The class (an index into the names above) of the i-th document in reading order (i < docs). */
size_t gn__dir_tree_doc_class(const gn_dir_tree *t, size_t i);
void gn__dir_tree_free(gn_dir_tree *t);

#endif

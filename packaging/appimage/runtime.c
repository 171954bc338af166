/* AppImage type-2 runtime for Segue, built by packaging/appimage/build-runtime from Debian's
 * libsquashfuse-dev and libfuse3-dev (both linked statically, so a user needs neither installed).
 *
 * An AppImage is this ELF program with a squashfs image of the AppDir appended right after it (at
 * the offset where the ELF's section header table ends), and the AppImage type-2 magic "AI\x02" at
 * byte 8 of the ELF header. Run, it mounts the image read-only with FUSE on a temporary folder,
 * execs AppDir/AppRun there (keeping its pid) and keeps the mount alive while the app runs. Where
 * FUSE is unavailable (no /dev/fuse or no fusermount3, e.g. in a container) it extracts the image to
 * a temporary folder instead, runs AppRun from there and removes the folder afterwards.
 *
 *   --appimage-offset             print the offset of the squashfs image
 *   --appimage-extract [PATH]     extract the image (or the entries under PATH) to ./squashfs-root
 *   --appimage-extract-and-run    extract to a temporary folder and run (also APPIMAGE_EXTRACT_AND_RUN=1;
 *                                 NO_CLEANUP=1 keeps the folder and reuses it on the next start)
 *   --appimage-help, --appimage-version
 *
 * AppRun gets APPIMAGE (this file), APPDIR (the mount or extraction folder), ARGV0 and OWD (the
 * working directory it was started from) in its environment, as with AppImageKit's runtime.
 */
#define _GNU_SOURCE
/* squashfuse's config.h defines _POSIX_C_SOURCE: include it before any system header */
#include <squashfuse.h>
#include <ll.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUNTIME_VERSION "segue-runtime 1"

/* AppImage update information and signature slots (empty): tools that read them find the sections. */
__attribute__((section(".upd_info"), used)) static char upd_info[1024];
__attribute__((section(".sha256_sig"), used)) static char sha256_sig[1024];

static void die(const char *what) {
    fprintf(stderr, "AppImage: %s: %s\n", what, strerror(errno));
    exit(127);
}

/* End of the ELF file = where the squashfs image starts. */
static off_t elf_end(const char *path) {
    Elf64_Ehdr eh;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh) die(path);
    close(fd);
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64) {
        fprintf(stderr, "AppImage: %s is not a 64-bit ELF file\n", path);
        exit(127);
    }
    return (off_t)(eh.e_shoff + (off_t)eh.e_shentsize * eh.e_shnum);
}

static void set_env(const char *self, const char *appdir, const char *argv0) {
    char cwd[PATH_MAX];
    setenv("APPIMAGE", self, 1);
    setenv("APPDIR", appdir, 1);
    setenv("ARGV0", argv0, 1);
    if (getcwd(cwd, sizeof cwd)) setenv("OWD", cwd, 1);
}

static void exec_apprun(const char *appdir, char **args) {
    char apprun[PATH_MAX];
    snprintf(apprun, sizeof apprun, "%s/AppRun", appdir);
    args[0] = apprun;
    execv(apprun, args);
    die(apprun);
}

/* ---- extraction --------------------------------------------------------------------------- */
static int mkdirs(char *path, mode_t mode) {
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return (mkdir(path, mode) != 0 && errno != EEXIST) ? -1 : 0;
}

static int extract_file(sqfs *fs, sqfs_inode *inode, const char *dest, mode_t mode) {
    static char buf[1 << 20];
    int fd = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return -1;
    for (sqfs_off_t off = 0; off < (sqfs_off_t)inode->xtra.reg.file_size;) {
        sqfs_off_t size = sizeof buf;
        if (sqfs_read_range(fs, inode, off, &size, buf) != SQFS_OK) { close(fd); errno = EIO; return -1; }
        if (size == 0) break;
        for (sqfs_off_t w = 0; w < size;) {
            ssize_t n = write(fd, buf + w, size - w);
            if (n < 0) { close(fd); return -1; }
            w += n;
        }
        off += size;
    }
    return close(fd);
}

/* Extract the image at `offset` of `self` into `root`; only entries under `prefix` when given. */
static int extract(const char *self, off_t offset, const char *root, const char *prefix) {
    sqfs fs;
    sqfs_traverse trv;
    sqfs_err err = SQFS_OK;
    int fd = open(self, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die(self);
    if (sqfs_init(&fs, fd, offset) != SQFS_OK) { fprintf(stderr, "AppImage: no squashfs image in %s\n", self); return 1; }
    if (sqfs_traverse_open(&trv, &fs, sqfs_inode_root(&fs)) != SQFS_OK) { fprintf(stderr, "AppImage: unreadable image\n"); return 1; }
    char top[PATH_MAX];
    snprintf(top, sizeof top, "%s", root);
    if (mkdirs(top, 0755) != 0) die(root);
    size_t plen = prefix ? strlen(prefix) : 0;
    while (sqfs_traverse_next(&trv, &err)) {
        if (trv.dir_end) continue;
        if (plen && strncmp(trv.path, prefix, plen) != 0) continue;
        sqfs_inode inode;
        if (sqfs_inode_get(&fs, &inode, trv.entry.inode) != SQFS_OK) { fprintf(stderr, "AppImage: bad inode at %s\n", trv.path); return 1; }
        char dest[PATH_MAX];
        snprintf(dest, sizeof dest, "%s/%s", root, trv.path);
        mode_t perm = inode.base.mode & 07777;
        switch (inode.base.inode_type) {
        case SQUASHFS_DIR_TYPE: case SQUASHFS_LDIR_TYPE:
            if (mkdirs(dest, perm | 0700) != 0) die(dest);
            break;
        case SQUASHFS_REG_TYPE: case SQUASHFS_LREG_TYPE:
            unlink(dest);
            if (extract_file(&fs, &inode, dest, perm) != 0) die(dest);
            break;
        case SQUASHFS_SYMLINK_TYPE: case SQUASHFS_LSYMLINK_TYPE: {
            char target[PATH_MAX];
            size_t size = sizeof target;
            if (inode.xtra.symlink_size >= sizeof target || sqfs_readlink(&fs, &inode, target, &size) != SQFS_OK) {
                fprintf(stderr, "AppImage: bad symlink %s\n", trv.path);
                return 1;
            }
            unlink(dest);
            if (symlink(target, dest) != 0) die(dest);
            break;
        }
        default: /* devices, fifos, sockets: an AppDir has none */
            break;
        }
    }
    sqfs_traverse_close(&trv);
    sqfs_destroy(&fs);
    close(fd);
    if (err != SQFS_OK) { fprintf(stderr, "AppImage: error while reading the image\n"); return 1; }
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static int extract_and_run(const char *self, off_t offset, char **args, const char *argv0) {
    struct stat st;
    if (stat(self, &st) != 0) die(self);
    uint64_t h = 1469598103934665603ULL; /* FNV-1a over path, size and mtime: one folder per build */
    for (const char *p = self; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h ^= (uint64_t)st.st_size * 31 + (uint64_t)st.st_mtime;
    const char *tmp = getenv("TMPDIR");
    char root[PATH_MAX], done[PATH_MAX + 16];
    snprintf(root, sizeof root, "%s/appimage_extracted_%016llx", tmp && *tmp ? tmp : "/tmp", (unsigned long long)h);
    snprintf(done, sizeof done, "%s/.extracted", root);
    int keep = getenv("NO_CLEANUP") != NULL;
    if (access(done, F_OK) != 0) {
        nftw(root, rm_entry, 64, FTW_DEPTH | FTW_PHYS); /* a half-finished earlier extraction */
        if (extract(self, offset, root, NULL) != 0) return 127;
        int fd = open(done, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0) close(fd);
    }
    set_env(self, root, argv0);
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) exec_apprun(root, args);
    signal(SIGINT, SIG_IGN); /* the terminal's ^C reaches the app itself */
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (!keep) nftw(root, rm_entry, 64, FTW_DEPTH | FTW_PHYS);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- FUSE mount ----------------------------------------------------------------------------- */
static struct fuse_session *session;
static int keepalive_fd;

static void *watch_parent(void *arg) {
    (void)arg;
    char c;
    while (read(keepalive_fd, &c, 1) < 0 && errno == EINTR) {}
    /* EOF: the app (and whatever inherited the pipe) has exited */
    fuse_session_exit(session);
    fuse_session_unmount(session);
    return NULL;
}

/* Mount in a child process; returns 0 in the parent once mounted, -1 when mounting is impossible. */
static int mount_image(const char *self, off_t offset, const char *mnt) {
    int ready[2], alive[2];
    if (pipe2(ready, O_CLOEXEC) != 0 || pipe(alive) != 0) die("pipe");
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        close(ready[0]);
        close(alive[1]);
        setsid(); /* the terminal's signals go to the app, not to the file system it runs from */
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) { dup2(devnull, 0); }
        char ok = 0;
        sqfs_ll *ll = sqfs_ll_open(self, offset);
        if (ll) {
            struct fuse_lowlevel_ops ops;
            memset(&ops, 0, sizeof ops);
            ops.getattr = sqfs_ll_op_getattr;
            ops.opendir = sqfs_ll_op_opendir;
            ops.releasedir = sqfs_ll_op_releasedir;
            ops.readdir = sqfs_ll_op_readdir;
            ops.lookup = sqfs_ll_op_lookup;
            ops.open = sqfs_ll_op_open;
            ops.create = sqfs_ll_op_create;
            ops.release = sqfs_ll_op_release;
            ops.read = sqfs_ll_op_read;
            ops.readlink = sqfs_ll_op_readlink;
            ops.listxattr = sqfs_ll_op_listxattr;
            ops.getxattr = sqfs_ll_op_getxattr;
            ops.forget = sqfs_ll_op_forget;
            ops.statfs = stfs_ll_op_statfs;
            char *argv[] = {"segue-appimage", "-o", "ro,nodev,nosuid,subtype=segue", NULL};
            struct fuse_args args = FUSE_ARGS_INIT(3, argv);
            sqfs_ll_chan ch;
            if (sqfs_ll_mount(&ch, mnt, &args, &ops, sizeof ops, ll) == SQFS_OK) {
                ok = 1;
                session = ch.session;
                keepalive_fd = alive[0];
                if (write(ready[1], &ok, 1) != 1) _exit(1);
                close(ready[1]);
                int err = open("/dev/null", O_WRONLY);
                if (err >= 0) { dup2(err, 1); dup2(err, 2); }
                pthread_t t;
                pthread_create(&t, NULL, watch_parent, NULL);
                fuse_session_loop(ch.session);
                fuse_session_unmount(ch.session);
                rmdir(mnt);
                _exit(0);
            }
        }
        if (write(ready[1], &ok, 1) != 1) _exit(1);
        _exit(1);
    }
    close(ready[1]);
    close(alive[0]);
    char ok = 0;
    ssize_t n;
    while ((n = read(ready[0], &ok, 1)) < 0 && errno == EINTR) {}
    close(ready[0]);
    if (n != 1 || !ok) {
        close(alive[1]);
        waitpid(pid, NULL, 0);
        return -1;
    }
    return 0; /* alive[1] stays open (not close-on-exec) in the app: its exit ends the mount */
}

int main(int argc, char **argv) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) die("/proc/self/exe");
    self[n] = '\0';
    off_t offset = elf_end(self);
    const char *opt = argc > 1 ? argv[1] : "";

    if (!strcmp(opt, "--appimage-offset")) { printf("%lld\n", (long long)offset); return 0; }
    if (!strcmp(opt, "--appimage-version")) { puts(RUNTIME_VERSION); return 0; }
    if (!strcmp(opt, "--appimage-help")) {
        puts("AppImage options: --appimage-extract [PATH], --appimage-extract-and-run, --appimage-offset,\n"
             "--appimage-version, --appimage-help. APPIMAGE_EXTRACT_AND_RUN=1 runs without FUSE.");
        return 0;
    }
    if (!strcmp(opt, "--appimage-extract")) {
        int rc = extract(self, offset, "squashfs-root", argc > 2 ? argv[2] : NULL);
        if (!rc) puts("squashfs-root");
        return rc;
    }
    int skip = !strcmp(opt, "--appimage-extract-and-run");
    if (!strncmp(opt, "--appimage-", 11) && !skip) { fprintf(stderr, "AppImage: unknown option %s\n", opt); return 2; }
    char **args = calloc(argc + 1, sizeof *args);
    int k = 1;
    for (int i = 1 + skip; i < argc; i++) args[k++] = argv[i];
    args[k] = NULL;

    if (skip || getenv("APPIMAGE_EXTRACT_AND_RUN")) return extract_and_run(self, offset, args, argv[0]);

    const char *tmp = getenv("TMPDIR");
    char mnt[PATH_MAX];
    snprintf(mnt, sizeof mnt, "%s/.mount_SegueXXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(mnt)) die(mnt);
    if (mount_image(self, offset, mnt) != 0) {
        rmdir(mnt);
        fprintf(stderr, "AppImage: could not mount with FUSE (needs /dev/fuse and fusermount3, Debian/Ubuntu "
                        "package fuse3); extracting to a temporary folder instead\n");
        return extract_and_run(self, offset, args, argv[0]);
    }
    set_env(self, mnt, argv[0]);
    exec_apprun(mnt, args);
    return 127;
}

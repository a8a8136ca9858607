#ifndef WARROOM_CNCURSES_SHIM_H
#define WARROOM_CNCURSES_SHIM_H
/* Wide-character curses. The macros below do not import into Swift; these inline functions stand in. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <langinfo.h>
#include <wchar.h>
#include <ncursesw/curses.h>
#include <signal.h>
#include <stdio.h>

static inline attr_t wr_a_bold(void) { return A_BOLD; }
static inline attr_t wr_a_reverse(void) { return A_REVERSE; }
static inline attr_t wr_a_underline(void) { return A_UNDERLINE; }
static inline attr_t wr_a_dim(void) { return A_DIM; }
static inline attr_t wr_a_normal(void) { return A_NORMAL; }
static inline int wr_key_resize(void) { return KEY_RESIZE; }
static inline int wr_key_code_yes(void) { return KEY_CODE_YES; }
static inline int wr_key_f(int n) { return KEY_F(n); }
static inline int wr_wcwidth(wchar_t c) { return wcwidth(c); }
static inline int wr_err(void) { return ERR; }
static inline int wr_ok(void) { return OK; }
static inline int wr_getmaxy(WINDOW *w) { return getmaxy(w); }
static inline int wr_getmaxx(WINDOW *w) { return getmaxx(w); }
/* Write n wide characters at (y, x) with the given attributes and colour pair. */
static inline int wr_put(WINDOW *w, int y, int x, const wchar_t *s, int n, attr_t attrs, int pair) {
    wattr_set(w, attrs, (short)pair, NULL);
    return mvwaddnwstr(w, y, x, s, n);
}

/* Globals Swift 6 rejects as not concurrency-safe, and the terminal's streams. */
static inline WINDOW *wr_stdscr(void) { return stdscr; }
static inline int wr_colors(void) { return COLORS; }
static inline int wr_color_pairs(void) { return COLOR_PAIRS; }
static inline FILE *wr_stdout(void) { return stdout; }
static inline FILE *wr_stdin(void) { return stdin; }
static inline const char *wr_codeset(void) { return nl_langinfo(CODESET); }
static inline int wr_lc_all(void) { return LC_ALL; }

/* Key codes (wget_wch returning KEY_CODE_YES). */
static inline int wr_key_up(void) { return KEY_UP; }
static inline int wr_key_down(void) { return KEY_DOWN; }
static inline int wr_key_left(void) { return KEY_LEFT; }
static inline int wr_key_right(void) { return KEY_RIGHT; }
static inline int wr_key_ppage(void) { return KEY_PPAGE; }
static inline int wr_key_npage(void) { return KEY_NPAGE; }
static inline int wr_key_home(void) { return KEY_HOME; }
static inline int wr_key_end(void) { return KEY_END; }
static inline int wr_key_backspace(void) { return KEY_BACKSPACE; }
static inline int wr_key_dc(void) { return KEY_DC; }
static inline int wr_key_btab(void) { return KEY_BTAB; }
static inline int wr_key_enter(void) { return KEY_ENTER; }
static inline int wr_key_f0(void) { return KEY_F0; }

/* Signals: sigaction's handler union differs between libcs, so it is set here. */
typedef void (*wr_siginfo_handler)(int, siginfo_t *, void *);
static inline int wr_sigaction(int sig, wr_siginfo_handler h, int flags, struct sigaction *old) {
    struct sigaction sa;
    sigemptyset(&sa.sa_mask);
    sa.sa_sigaction = h;
    sa.sa_flags = flags | SA_SIGINFO;
    return sigaction(sig, &sa, old);
}
static inline int wr_sigaction_set(int sig, const struct sigaction *act) { return sigaction(sig, act, NULL); }
static inline int wr_signal_ignore(int sig) {
    struct sigaction sa;
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_IGN;
    sa.sa_flags = 0;
    return sigaction(sig, &sa, NULL);
}
static inline int wr_signal_default(int sig) {
    struct sigaction sa;
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = 0;
    return sigaction(sig, &sa, NULL);
}
static inline int wr_si_code(const siginfo_t *info) { return info ? info->si_code : 0; }
static inline int wr_sa_resethand(void) { return SA_RESETHAND; }
static inline int wr_sa_nodefer(void) { return SA_NODEFER; }
static inline int wr_sa_restart(void) { return SA_RESTART; }

#ifdef __linux__
/* pipe2 is declared only under _GNU_SOURCE. */
extern int pipe2(int pipefd[2], int flags);
static inline int wr_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }
#endif
/* A parent (a test runner's worker thread, a supervisor) may hand us a blocked signal mask. The console depends on
   SIGWINCH (resize), SIGHUP (pane killed), SIGINT and SIGTERM reaching this thread: unblock them. */
static inline int wr_unblock_console_signals(void) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGWINCH);
    sigaddset(&s, SIGHUP);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGTERM);
    sigaddset(&s, SIGQUIT);
    return pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

/* Flow control off for the console: one stray ^S on a shared screen would otherwise freeze all output, and
   with it the console's only thread. ncurses restores the shell's own modes on endwin. */
#include <termios.h>
#include <unistd.h>
static inline int wr_disable_flow_control(void) {
    struct termios t;
    if (tcgetattr(STDIN_FILENO, &t) != 0) return -1;
    t.c_iflag &= ~(IXON | IXOFF);
    if (tcsetattr(STDIN_FILENO, TCSANOW, &t) != 0) return -1;
    return def_prog_mode();
}

#endif

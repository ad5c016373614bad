#ifndef TELETOP_CNCURSES_SHIM_H
#define TELETOP_CNCURSES_SHIM_H

// SwiftPM drops pkg-config's -D_XOPEN_SOURCE: without this the wide-character
// API (wget_wch, mvwaddnwstr, cchar_t) stays invisible.
#define NCURSES_WIDECHAR 1
#include <ncursesw/curses.h>
#include <locale.h>
#include <langinfo.h>
#include <string.h>
#include <stdio.h>

// Macros the Swift importer cannot see, as constants and functions.
static const attr_t teletop_A_NORMAL = A_NORMAL;
static const attr_t teletop_A_BOLD = A_BOLD;
static const attr_t teletop_A_DIM = A_DIM;
static const attr_t teletop_A_REVERSE = A_REVERSE;
static const attr_t teletop_A_UNDERLINE = A_UNDERLINE;

static inline int teletop_key_f(int n) { return KEY_F(n); }

// The mouse: clicks and the wheel (buttons 4 and 5), without the click delay.
static inline int teletop_enable_mouse(void) {
    mmask_t old = 0;
    mmask_t got = mousemask(BUTTON1_PRESSED | BUTTON1_RELEASED | BUTTON4_PRESSED | BUTTON5_PRESSED, &old);
    mouseinterval(0);
    return got != 0 && has_mouse();
}
static inline void teletop_disable_mouse(void) { mousemask(0, NULL); }
/// 0 none, 1 left press, 4 wheel up, 5 wheel down; x and y set.
static inline int teletop_mouse_event(int *x, int *y) {
    MEVENT e;
    if (getmouse(&e) != OK) return 0;
    *x = e.x;
    *y = e.y;
    if (e.bstate & BUTTON1_PRESSED) return 1;
    if (e.bstate & BUTTON4_PRESSED) return 4;
    if (e.bstate & BUTTON5_PRESSED) return 5;
    return 0;
}

// Reading these C globals from Swift 6 is a concurrency error; accessors are not.
static inline WINDOW *teletop_curscr(void) { return curscr; }
static inline int teletop_colors(void) { return COLORS; }

/// 1 when the current locale's character set is UTF-8 (after setlocale).
static inline int teletop_locale_is_utf8(void) {
    const char *codeset = nl_langinfo(CODESET);
    return codeset != NULL && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0);
}

/// 1 when the terminal (after newterm) can move the cursor; TERM=dumb cannot.
static inline int teletop_can_address_cursor(void) {
    char *cup = tigetstr("cup");
    return cup != NULL && cup != (char *)-1;
}

/// 1 when the terminal has an alternate screen (smcup): quitting then restores what was there.
static inline int teletop_has_alternate_screen(void) {
    char *smcup = tigetstr("smcup");
    return smcup != NULL && smcup != (char *)-1 && smcup[0] != 0;
}

#endif

/* session/dialog_internal.h: what dialog.c (the chart's actions, feeding, inspection) and
 * dialog_str.c (the strings block) share: the dialog's struct and the block's functions.
 * Internal to runtime/src/session/dialog*.c. */
#ifndef SIPSPEC_SESSION_DIALOG_INTERNAL_H
#define SIPSPEC_SESSION_DIALOG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "session/dialog.h"
#include "sipspec/fsm.h"
#include "sipspec/msg.h"

#define DLG_MAX_ROUTES SIPSPEC_DIALOG_MAX_ROUTES

/* What the response being fed contributes, read before the feed: spans into that response
 * (valid during the feed), committed by the actions. */
typedef struct dlg_pending {
  sipspec_span remote_tag;
  sipspec_span target;                /* Contact URI; p NULL when none */
  sipspec_span routes[DLG_MAX_ROUTES]; /* in the dialog's order */
  size_t n_routes;
  int has_routes;                     /* a 2xx: the route set is (re)computed (13.2.2.4) */
} dlg_pending;

/* The event being fed (or the BYE sent again), on the stack of the function that feeds it:
 * what the actions work on, and what they report. */
typedef struct dlg_feed {
  sipspec_dialog *d;
  struct dlg_feed *outer;             /* the feed of another dialog further down the stack */
  int ev;
  const sipspec_msg *msg;
  const sipspec_dialog_req *req;
  dlg_pending *pend;                  /* sipspec_dialog_rx_invite_response(), else NULL */
  uint32_t cseq;                      /* of the request send_request handed out */
  int refresh_match;                  /* the 2xx being fed answers the last re-INVITE */
  int cseq_refused;
  int act_err;
  char *old;                          /* the strings block a callback replaced (freed after) */
} dlg_feed;

/* The dialog's strings, kept in one block (issue 16: one allocation, not one per string):
 * each NUL-terminated, the Call-ID at 0, the others at the offset off[] gives them
 * (DLG_ABSENT: none), the route set after the last of them (n_routes strings one after
 * another), then, when the owner lends strings (sipspec_dialog_create_uas_shared(): the
 * Via, Contact and header lines, the same for all of a server's dialogs), the pointer to
 * its sipspec_dialog_local, at the offset their off[] gives, marked DLG_BORROWED. */
enum {
  S_CALL_ID, S_LOCAL_TAG, S_REMOTE_TAG, S_LOCAL_URI, S_REMOTE_URI, S_TARGET, S_VIA, S_CONTACT, S_HEADERS,
  S_ACK_HEADERS, S_ROUTES
};
#define DLG_ABSENT UINT16_MAX
#define DLG_BORROWED 0x8000u /* the block holds the owner's sipspec_dialog_local pointer there */
#define DLG_BLOCK_MAX 0x7fffu

/* What a dialog keeps lives as long as the dialog (issue 16: a held dialog's memory): the
 * chart, the callbacks, the CSeq numbers and the strings block; what a message being fed
 * contributes lives on the feeder's stack (dlg_feed, dlg_pending), found through the
 * thread's list of feeds in progress (cur_of()). */
struct sipspec_dialog {
  sipspec_fsm fsm;
  const sipspec_dialog_callbacks *cb; /* the owner's (shared) or the copy in tail */
  sipspec_dialog_idref id;      /* into str (dlg_empty for a remote tag not known yet) */
  char *str;                    /* the strings block */
  uint32_t local_cseq, remote_cseq;
  uint32_t refresh_cseq;        /* CSeq of the last re-INVITE sent (target refresh), 0: none */
  uint16_t off[S_ROUTES - 1];   /* of the strings after the Call-ID */
  uint8_t n_routes;
  uint8_t flags;                /* DLG_UAS, DLG_BYE_SENT, DLG_SHARED */
  void *tail[];                 /* shared: the user pointer; else the callbacks' copy */
};

/* d's feed in progress, or NULL (d is not busy): the feeds in progress on this thread are
 * a list, innermost first (nested when a callback of one dialog feeds another). */
dlg_feed *dlg_cur_of(const sipspec_dialog *d);
/* f becomes d's feed in progress / is over (the innermost one). */
void dlg_feed_push(sipspec_dialog *d, dlg_feed *f);
void dlg_feed_pop(dlg_feed *f);

#define DLG_UAS 1u      /* the role is SIPSPEC_DIALOG_ROLE_UAS */
#define DLG_BYE_SENT 2u /* send_bye handed out our BYE (sipspec_dialog_bye_again) */
#define DLG_SHARED 4u   /* sipspec_dialog_create_uas_shared() */

static inline void *dlg_user_of(const sipspec_dialog *d) { return d->flags & DLG_SHARED ? d->tail[0] : d->cb->user; }

static inline int dlg_is_uas(const sipspec_dialog *d) { return (d->flags & DLG_UAS) != 0; }

/* Where string i is (DLG_ABSENT, or an offset, DLG_BORROWED for a lent one). */
static inline unsigned dlg_off_of(const sipspec_dialog *d, int i) { return i == S_CALL_ID ? 0 : d->off[i - 1]; }

static inline int dlg_lent_at(const sipspec_dialog *d, int i) {
  unsigned o = dlg_off_of(d, i);
  return o != DLG_ABSENT && (o & DLG_BORROWED);
}

/* ---- the strings block (dialog_str.c) ---------------------------------------------------- */

extern const char dlg_empty[];
sipspec_span dlg_zspan(const char *z);
/* String i, or NULL when absent. */
const char *dlg_str_at(const sipspec_dialog *d, int i);
/* The owner's strings the dialog borrows, or NULL. */
const sipspec_dialog_local *dlg_lent_local(const sipspec_dialog *d);
/* The first route: after the string the block holds last. */
const char *dlg_routes_at(const sipspec_dialog *d);
/* The strings as they are (p NULL: absent); the mask of those borrowed (bit i: v[i]). */
unsigned dlg_strs_get(const sipspec_dialog *d, sipspec_span *v);
/* The route set as it is, into r (DLG_MAX_ROUTES spans); their number. */
size_t dlg_routes_get(const sipspec_dialog *d, sipspec_span *r);
/* The strings become v[0..S_ROUTES) (p NULL: absent; those of mask lent, among S_VIA,
 * S_CONTACT and S_HEADERS, borrowed from local: its pointer kept once) and the route set
 * routes[0..n), in a new block (the spans may point into the old one). Inside a callback
 * of d the old block stays until the feed is over: what the callback was handed points
 * into it. SIPSPEC_E_RANGE when they pass 32 KiB, SIPSPEC_E_INVAL without a Call-ID,
 * SIPSPEC_E_NOMEM; then nothing changed. */
int dlg_strs_set(sipspec_dialog *d, const sipspec_span *v, unsigned lent, const sipspec_dialog_local *local,
                 const sipspec_span *routes, size_t n);
/* One string replaced by a copy of s (p NULL: removed), the rest as it is. */
int dlg_str_set(sipspec_dialog *d, int i, sipspec_span s);
/* A Via value without branch, read with the Via rule: SIPSPEC_E_BUILD_VALUE when it is not
 * one with a transport and a host. */
int dlg_via_read(const char *via, size_t n, sipspec_via *v);

#endif

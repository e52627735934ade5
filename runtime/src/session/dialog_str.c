/* session/dialog_str.c: the strings a dialog keeps, in one block (issue 16: one allocation
 * instead of one per string; the layout is dialog_internal.h's), and the list of the feeds
 * in progress on a thread. */
#include <stdlib.h>
#include <string.h>

#include "session/dialog_internal.h"

const char dlg_empty[] = "";

static _Thread_local dlg_feed *dlg_feeds;

dlg_feed *dlg_cur_of(const sipspec_dialog *d) {
  for (dlg_feed *f = dlg_feeds; f; f = f->outer)
    if (f->d == d) return f;
  return NULL;
}

void dlg_feed_push(sipspec_dialog *d, dlg_feed *f) {
  f->d = d;
  f->outer = dlg_feeds;
  dlg_feeds = f;
}

void dlg_feed_pop(dlg_feed *f) { dlg_feeds = f->outer; }

const char *dlg_str_at(const sipspec_dialog *d, int i) {
  unsigned o = dlg_off_of(d, i);
  if (o == DLG_ABSENT) return NULL;
  if (!(o & DLG_BORROWED)) return d->str + o;
  const sipspec_dialog_local *l;
  memcpy(&l, d->str + (o & DLG_BLOCK_MAX), sizeof l);
  return i == S_VIA ? l->via : i == S_CONTACT ? l->contact : l->headers;
}

/* The owner's strings the dialog borrows, or NULL. */
const sipspec_dialog_local *dlg_lent_local(const sipspec_dialog *d) {
  const sipspec_dialog_local *l = NULL;
  for (int i = S_VIA; i <= S_HEADERS && !l; i++)
    if (dlg_lent_at(d, i)) memcpy(&l, d->str + (dlg_off_of(d, i) & DLG_BLOCK_MAX), sizeof l);
  return l;
}

/* The first route: after the string the block holds last. */
const char *dlg_routes_at(const sipspec_dialog *d) {
  int last = S_CALL_ID;
  for (int i = 1; i < S_ROUTES; i++)
    if (dlg_off_of(d, i) != DLG_ABSENT && !dlg_lent_at(d, i) && dlg_off_of(d, i) > dlg_off_of(d, last)) last = i;
  const char *p = d->str + dlg_off_of(d, last);
  return p + strlen(p) + 1;
}

sipspec_span dlg_zspan(const char *z) {
  sipspec_span s = {z, z ? strlen(z) : 0};
  return s;
}

/* The strings as they are (p NULL: absent); the mask of those borrowed (bit i: v[i]). */
unsigned dlg_strs_get(const sipspec_dialog *d, sipspec_span *v) {
  unsigned lent = 0;
  for (int i = 0; i < S_ROUTES; i++) {
    v[i] = dlg_zspan(dlg_str_at(d, i));
    if (dlg_lent_at(d, i)) lent |= 1u << i;
  }
  return lent;
}

/* The route set as it is, into r (DLG_MAX_ROUTES spans). */
size_t dlg_routes_get(const sipspec_dialog *d, sipspec_span *r) {
  const char *p = dlg_routes_at(d);
  for (size_t i = 0; i < d->n_routes; i++) {
    r[i] = dlg_zspan(p);
    p += r[i].len + 1;
  }
  return d->n_routes;
}

/* The strings become v[0..S_ROUTES) (p NULL: absent; those of mask lent, among S_VIA,
 * S_CONTACT and S_HEADERS, borrowed from local: its pointer kept once) and the route set
 * routes[0..n), in a new block (the spans may point into the old one). Inside a callback
 * of d the old block stays until the feed is over: what the callback was handed points
 * into it. SIPSPEC_E_RANGE when they pass 32 KiB, SIPSPEC_E_NOMEM; then nothing changed. */
int dlg_strs_set(sipspec_dialog *d, const sipspec_span *v, unsigned lent, const sipspec_dialog_local *local,
                    const sipspec_span *routes, size_t n) {
  if (!local) lent = 0;
  lent &= ~1u; /* the Call-ID is always the dialog's own, at 0 */
  if (!v[S_CALL_ID].p) return SIPSPEC_E_INVAL;
  size_t total = lent ? sizeof local : 0;
  for (int i = 0; i < S_ROUTES; i++)
    if (v[i].p && !(lent & (1u << i))) total += v[i].len + 1;
  for (size_t i = 0; i < n; i++) total += routes[i].len + 1;
  if (total > DLG_BLOCK_MAX || n > DLG_MAX_ROUTES) return SIPSPEC_E_RANGE;
  char *b = malloc(total ? total : 1);
  if (!b) return SIPSPEC_E_NOMEM;
  uint16_t off[S_ROUTES];
  size_t w = 0;
  for (int i = 0; i < S_ROUTES; i++) {
    off[i] = !v[i].p ? DLG_ABSENT : (uint16_t)w;
    if (!v[i].p || lent & (1u << i)) continue;
    memcpy(b + w, v[i].p, v[i].len);
    b[w + v[i].len] = '\0';
    w += v[i].len + 1;
  }
  for (size_t i = 0; i < n; i++) {
    memcpy(b + w, routes[i].p, routes[i].len);
    b[w + routes[i].len] = '\0';
    w += routes[i].len + 1;
  }
  if (lent) { /* last: the owner's local, for the strings it lends */
    for (int i = 0; i < S_ROUTES; i++)
      if (lent & (1u << i) && v[i].p) off[i] = (uint16_t)(DLG_BORROWED | w);
    memcpy(b + w, &local, sizeof local);
  }
  dlg_feed *f = dlg_cur_of(d);
  if (f && !f->old) f->old = d->str;
  else free(d->str);
  d->str = b;
  memcpy(d->off, off + 1, sizeof d->off);
  d->n_routes = (uint8_t)n;
  d->id.call_id = d->str;
  d->id.local_tag = dlg_str_at(d, S_LOCAL_TAG) ? dlg_str_at(d, S_LOCAL_TAG) : dlg_empty;
  d->id.remote_tag = dlg_str_at(d, S_REMOTE_TAG) ? dlg_str_at(d, S_REMOTE_TAG) : dlg_empty;
  return SIPSPEC_OK;
}

/* One string replaced by a copy of s (p NULL: removed), the rest as it is. */
int dlg_str_set(sipspec_dialog *d, int i, sipspec_span s) {
  sipspec_span v[S_ROUTES], r[DLG_MAX_ROUTES];
  unsigned lent = dlg_strs_get(d, v) & ~(1u << i);
  v[i] = s;
  return dlg_strs_set(d, v, lent, dlg_lent_local(d), r, dlg_routes_get(d, r));
}

/* A Via value without branch, read with the Via rule: SIPSPEC_E_BUILD_VALUE when it is not
 * one with a transport and a host. */
int dlg_via_read(const char *via, size_t n, sipspec_via *v) {
  if (!via || !n || n > UINT16_MAX || sipspec_via_parse((sipspec_span){via, n}, v) != SIPSPEC_OK || !v->transport.len ||
      !v->host.len)
    return SIPSPEC_E_BUILD_VALUE;
  return SIPSPEC_OK;
}


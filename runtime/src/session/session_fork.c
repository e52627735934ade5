/* session/session_fork.c: the other forks of the INVITE (RFC 3261 13.2.2.4): a 2xx from
 * another fork once the session runs on its dialog is ACKed and that dialog ended with BYE;
 * copies of that 2xx get the same ACK again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/session_internal.h"

/* ---- other forks (13.2.2.4) ------------------------------------------------------------- */

static void fork_send_ack(sipspec_dialog *d, const char *ack, size_t len, const char *hop, void *user) {
  sipspec_session *s = user;
  (void)d;
  if (s->n_forks >= SESSION_MAX_FORKS) return;
  session_fork *f = &s->forks[s->n_forks];
  free(f->ack);
  f->ack_len = 0;
  if (!(f->ack = malloc(len))) return;
  memcpy(f->ack, ack, len);
  f->ack_len = len;
  ua_hop_addr(s, hop, &f->to);
  sipspec_tsx_layer_send(s->ua->layer, s->kind, &f->to, ack, len);
}

static void fork_send_request(sipspec_dialog *d, const sipspec_request_fields *req, const char *hop, void *user) {
  sipspec_session *s = user;
  sipspec_sockaddr a;
  (void)d;
  ua_hop_addr(s, hop, &a);
  session_start_tsx(s, ST_FORK_BYE, req, &a); /* its outcome changes nothing here */
}

/* 1 when resp, a 2xx to our current INVITE, carries a To tag other than the one the
 * session's dialog has (an early dialog's or the confirmed one's): another fork's 2xx,
 * RX_2XX_FORK. Before any tagged response the dialog has no tag: RX_2XX. */
int session_other_fork(const sipspec_session *s, const sipspec_msg *resp) {
  if (!s->dialog) return 0;
  const sipspec_dialog_idref *id = sipspec_dialog_id_get(s->dialog);
  sipspec_addr to;
  if (!id->remote_tag[0] || sipspec_msg_to(resp, &to) != SIPSPEC_OK || !to.tag.len ||
      to.tag.len > SIPSPEC_DIALOG_TAG_MAX || sipspec_msg_cseq(resp) != s->cseq)
    return 0;
  return to.tag.len != strlen(id->remote_tag) || memcmp(to.tag.p, id->remote_tag, to.tag.len);
}

/* RX_2XX_FORK once the session runs on its dialog (Established, Terminating): RFC 3261
 * 13.2.2.4 says ACK that 2xx, and since the session already runs on another dialog, end
 * this one with BYE at once. Copies of that 2xx get the same ACK again. */
void session_fork_end(sipspec_session *s) {
  const sipspec_msg *resp = s->cur_msg;
  sipspec_addr to;
  if (!resp || !s->dialog || sipspec_msg_to(resp, &to) != SIPSPEC_OK || !to.tag.len ||
      to.tag.len > SIPSPEC_DIALOG_TAG_MAX)
    return;
  if (!s->forks && !(s->forks = calloc(SESSION_MAX_FORKS, sizeof *s->forks))) return; /* dropped */
  for (int i = 0; i < s->n_forks; i++) {
    session_fork *f = &s->forks[i];
    if (to.tag.len == strlen(f->tag) && !memcmp(to.tag.p, f->tag, to.tag.len)) {
      sipspec_tsx_layer_send(s->ua->layer, s->kind, &f->to, f->ack, f->ack_len);
      return;
    }
  }
  if (s->n_forks >= SESSION_MAX_FORKS) return; /* too many forks: dropped */
  char hdrs[512];
  sipspec_build b; /* RFC 3261 20.41 */
  sipspec_build_init(&b, hdrs, sizeof hdrs - 1);
  sipspec_build_header(&b, sipspec_span_z("User-Agent"), sipspec_span_z(s->ua->user_agent));
  hdrs[b.err ? 0 : b.len] = '\0';
  char via[SESSION_VIA_MAX], contact[SESSION_CONTACT_MAX];
  session_via(s, via, sizeof via);
  session_contact(s, contact, sizeof contact);
  sipspec_dialog_local local = {via, contact, hdrs};
  sipspec_dialog_callbacks cb = {fork_send_ack, fork_send_request, NULL, NULL, NULL, s};
  sipspec_dialog *d = NULL;
  if (session_dialog_for_invite(s, &local, &cb, &d) != SIPSPEC_OK) return;
  sipspec_dialog_set_ack_headers(d, s->auth_headers);
  if (sipspec_dialog_rx_invite_response(d, resp) == SIPSPEC_OK && s->n_forks < SESSION_MAX_FORKS &&
      s->forks[s->n_forks].ack) {
    session_fork *f = &s->forks[s->n_forks++];
    memcpy(f->tag, to.tag.p, to.tag.len);
    f->tag[to.tag.len] = '\0';
    char *cred = NULL;
    if (session_digest_begin(s, "BYE", sipspec_dialog_remote_target(d), NULL, 0, &cred) == SIPSPEC_OK) {
      sipspec_dialog_req r = {"BYE", cred, NULL, NULL, 0};
      if (sipspec_dialog_request(d, &r, NULL) == SIPSPEC_OK) s->ua->tel.sipByeSent++;
    }
    free(cred);
  }
  sipspec_dialog_destroy(d);
}


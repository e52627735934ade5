# spec/dialog.rl: a dialog, as either side sees it.
#
#@ title: Dialog
#@ rfc: RFC 3261 §12 (creation §12.1, requests within §12.2, termination §12.3), §13.2.2.4, §15
#@ final: Terminated
#@ actions: context=sipspec_dialog prefix=dlg_act_ in=runtime/src/session/dialog.c
#
# The UAC side creates the dialog from a response that carries a To tag; the UAS side from
# the response it sends. In-dialog requests keep the dialog confirmed; BYE, a 481/408 to an
# in-dialog request, or no response at all end it; a non-2xx final response to the INVITE
# ends an early dialog, and so does a BYE received in it (the caller MAY send one, §15.1.1;
# the UAS answers it 200 and SHOULD answer the pending INVITE 487, §15.2).
#@ undefined * rx: ignore
#@ undefined * transport: ignore
#@ undefined * *: error

%%{
  machine dialog;

  main := (
    start: Idle: (
        RX_1XX @create_dialog -> Early                                         # RFC 3261 §12.1.2 (1xx with a To tag)
      | RX_2XX @create_dialog @send_ack -> Confirmed                           # RFC 3261 §12.1.2, §13.2.2.4
      | TU_1XX @create_dialog -> Early                                         # RFC 3261 §12.1.1 (UAS sends 1xx with a tag)
      | TU_2XX @create_dialog -> Confirmed                                     # RFC 3261 §12.1.1 (UAS sends 2xx)
    ),
    Early: (
        RX_1XX @update_remote_target -> Early                                  # RFC 3261 §12.1.2, §12.2.1.2
      | RX_2XX @update_remote_target @send_ack -> Confirmed                    # RFC 3261 §12.1.2, §13.2.2.4
      | TU_1XX -> Early                                                        # RFC 3261 §12.1.1
      | TU_2XX -> Confirmed                                                    # RFC 3261 §12.1.1
      | RX_300_699 @report_terminated -> Terminated                            # RFC 3261 §12.3 (non-2xx final ends early dialogs)
      | TU_300_699 @report_terminated -> Terminated                            # RFC 3261 §12.3
      | TXN_TIMEOUT @report_terminated -> Terminated                           # RFC 3261 §12.3, §13.2.2.3
      | TRANSPORT_ERR @report_terminated -> Terminated                         # RFC 3261 §17.1.4
      | RX_BYE @answer_200 @report_terminated -> Terminated                    # RFC 3261 §15.1.1, §15.2 (early BYE; UAS: 487 the INVITE)
    ),
    Confirmed: (
        RX_2XX @refresh_remote_target @send_ack -> Confirmed                   # RFC 3261 §13.2.2.4 (ACK every 2xx), §12.2.1.2 (target refresh)
      | RX_ACK @pass_to_tu -> Confirmed                                        # RFC 3261 §13.3.1.4 (UAS: ACK for the 2xx)
      | TU_REQUEST @send_in_dialog_request -> Confirmed                        # RFC 3261 §12.2.1.1 (local CSeq + 1)
      | RX_REQUEST @check_remote_cseq @pass_to_tu -> Confirmed                 # RFC 3261 §12.2.2
      | TU_BYE @send_bye @report_terminated -> Terminated                      # RFC 3261 §15.1.1
      | RX_BYE @answer_200 @report_terminated -> Terminated                    # RFC 3261 §15.1.2
      | RX_481_408 @report_terminated -> Terminated                            # RFC 3261 §12.2.1.2
      | TXN_TIMEOUT @report_terminated -> Terminated                           # RFC 3261 §12.2.1.2 (no response at all)
    ),
    Terminated: ( zlen )
  );
}%%

/* error.c: names and sentences for sipspec error codes, from the table in sipspec/error.h. */
#include "sipspec/error.h"

const char *sipspec_errname(int code) {
  switch (code) {
#define SIPSPEC_ERR_NAME_(name, num, text) case num: return "SIPSPEC_" #name;
    SIPSPEC_ERRORS(SIPSPEC_ERR_NAME_)
#undef SIPSPEC_ERR_NAME_
  default: return "SIPSPEC_E_UNKNOWN";
  }
}

const char *sipspec_strerror(int code) {
  switch (code) {
#define SIPSPEC_ERR_TEXT_(name, num, text) case num: return text;
    SIPSPEC_ERRORS(SIPSPEC_ERR_TEXT_)
#undef SIPSPEC_ERR_TEXT_
  default: return "unknown error";
  }
}

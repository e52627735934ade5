/* test_coverage_cli.c: coverage collected by real processes and reported by the built
 * `sipspec coverage` command.
 *
 * usage: test_coverage_cli SIPSPEC COVERAGE_WRITER COVERAGE_SUMMARY
 * Every process is started with fork/exec, waited for with a bound (30 s), and killed by its PID
 * if it overruns. Files live in a fresh folder under the current directory, removed at the end. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "coverage_report.h"
#include "fsm/coverage_internal.h"
#include "sipspec/coverage.h"

static const char *sipspec_bin, *writer_bin, *summary_script;
static char dir[64], out_path[128], err_path[128];
static char *out_text, *err_text; /* stdout and stderr of the last run() */

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return strdup("");
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  char chunk[4096];
  size_t got;
  while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) fwrite(chunk, 1, got, m);
  fclose(f);
  fclose(m);
  return buf;
}

/* Starts argv with SIPSPEC_COVERAGE_FILE=env (unset when NULL), stdout and stderr to files. */
static pid_t start(char *const argv[], const char *env, const char *stdout_path, const char *stderr_path) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  int o = open(stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 0644), e = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) _exit(126);
  if (env) setenv(SIPSPEC_COVERAGE_ENV, env, 1);
  else unsetenv(SIPSPEC_COVERAGE_ENV);
  execv(argv[0], argv);
  _exit(127);
}

/* Waits for pid at most 30 s (killing it after that). Its exit status, 128 + the signal that
 * ended it, or -1 when it had to be killed. */
static int finish(pid_t pid) {
  int status;
  for (int i = 0; i < 3000; i++) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0) return -1;
    nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

static int run(char *const argv[], const char *env) {
  int rc = finish(start(argv, env, out_path, err_path));
  free(out_text), free(err_text);
  out_text = slurp(out_path);
  err_text = slurp(err_path);
  return rc;
}

static char *in_dir(const char *name) {
  static char paths[8][160];
  static int next;
  char *p = paths[next++ % 8];
  snprintf(p, 160, "%s/%s", dir, name);
  return p;
}

static int64_t count_in(const char *path, const char *transition) {
  sipspec_coverage *cov = sipspec_coverage_new();
  char err[SIPSPEC_COVERAGE_ERRLEN];
  int64_t n = sipspec_coverage_merge_file(cov, path, err, sizeof err) ? -2 : sipspec_coverage_count(cov, "nict", transition);
  sipspec_coverage_free(cov);
  return n;
}

static int temp_files(void) {
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) n += strstr(e->d_name, ".tmp.") != NULL;
  if (d) closedir(d);
  return n;
}

static void programs_write_at_exit(void) {
  char *a = in_dir("a.json");
  /* SIPSPEC_COVERAGE_FILE, a relative path (the writer changes folder before it exits) */
  CU_ASSERT_EQUAL(run((char *[]){(char *)writer_bin, "3", NULL}, a), 0);
  CU_ASSERT_EQUAL(count_in(a, "Idle__TU_SEND"), 3);
  CU_ASSERT_EQUAL(count_in(a, "Trying__TIMER_E"), 3);
  CU_ASSERT_EQUAL(run((char *[]){(char *)writer_bin, "2", NULL}, a), 0); /* added to the file */
  CU_ASSERT_EQUAL(count_in(a, "Idle__TU_SEND"), 5);
  CU_ASSERT_EQUAL(temp_files(), 0);
  /* the function --coverage-out will call */
  char *b = in_dir("b.json");
  CU_ASSERT_EQUAL(run((char *[]){(char *)writer_bin, "4", b, NULL}, NULL), 0);
  CU_ASSERT_EQUAL(count_in(b, "Idle__TU_SEND"), 4);
  /* without the variable, nothing is written */
  struct stat st;
  char *c = in_dir("c.json");
  CU_ASSERT_EQUAL(run((char *[]){(char *)writer_bin, "1", NULL}, NULL), 0);
  CU_ASSERT_EQUAL(run((char *[]){(char *)writer_bin, "1", NULL}, ""), 0);
  CU_ASSERT_NOT_EQUAL(stat(c, &st), 0);
  /* a file that cannot be written: the program still exits normally and says why on stderr */
  CU_ASSERT_EQUAL(run((char *[]){(char *)writer_bin, "1", NULL}, in_dir("missing/x.json")), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "sipspec: coverage not written: "));
  CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "missing/x.json.lock"));
}

static void concurrent_writers_lose_no_counts(void) {
  char *shared = in_dir("shared.json");
  enum { WRITERS = 8, EACH = 25 };
  pid_t pids[WRITERS];
  char outs[WRITERS][160];
  for (int i = 0; i < WRITERS; i++) {
    snprintf(outs[i], sizeof outs[i], "%s/writer%d.out", dir, i);
    pids[i] = start((char *[]){(char *)writer_bin, "25", NULL}, shared, outs[i], outs[i]);
  }
  int failed = 0;
  for (int i = 0; i < WRITERS; i++) failed += finish(pids[i]) != 0;
  for (int i = 0; i < WRITERS; i++) unlink(outs[i]);
  CU_ASSERT_EQUAL(failed, 0);
  CU_ASSERT_EQUAL(count_in(shared, "Idle__TU_SEND"), WRITERS * EACH);
  CU_ASSERT_EQUAL(count_in(shared, "Trying__TIMER_E"), WRITERS * EACH);
  CU_ASSERT_EQUAL(temp_files(), 0);
}

static void sigterm_during_writes_leaves_a_whole_file(void) {
  char *path = in_dir("killed.json"), *log = in_dir("killed.log");
  struct stat st;
  for (int round = 0; round < 3; round++) {
    pid_t pid = start((char *[]){(char *)writer_bin, "--loop", path, NULL}, NULL, log, log);
    for (int i = 0; i < 1000 && stat(path, &st) != 0; i++) nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    nanosleep(&(struct timespec){0, (20 + 15 * round) * 1000 * 1000}, NULL); /* somewhere in a later write */
    CU_ASSERT_EQUAL(kill(pid, SIGTERM), 0);
    CU_ASSERT_EQUAL(finish(pid), 128 + SIGTERM); /* stopped by the signal, not finished */
    CU_ASSERT(count_in(path, "Idle__TU_SEND") > 0); /* a complete, valid file */
    CU_ASSERT_EQUAL(temp_files(), 0);
  }
  unlink(log);
}

static void report_merges_files(void) {
  char *a = in_dir("a.json"), *b = in_dir("b.json");
  CU_ASSERT_EQUAL(run((char *[]){(char *)sipspec_bin, "coverage", a, b, NULL}, NULL), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "chart nict: Non-INVITE client transaction"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "transitions 2/16 taken (12.5%), states 2/5 visited (40.0%), 18 transitions"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "never taken:"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "Completed__TIMER_K"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "[RFC 3261 §17.1.2.2"));
  CU_ASSERT_PTR_NULL(strstr(out_text, "STALE"));
  CU_ASSERT_STRING_EQUAL(err_text, "");

  CU_ASSERT_EQUAL(run((char *[]){(char *)sipspec_bin, "coverage", "--json", a, b, NULL}, NULL), 0);
  sipspec_json *root = NULL;
  char err[SIPSPEC_COVERAGE_ERRLEN];
  CU_ASSERT_EQUAL_FATAL(sipspec_json_parse(out_text, strlen(out_text), &root, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(sipspec_json_get(root, "format")->text, "sipspec-coverage-report/1");
  CU_ASSERT_EQUAL(sipspec_json_get(root, "origins")->n, 2);
  sipspec_json_free(root);
}

static void threshold_sets_the_exit_status(void) {
  char *a = in_dir("a.json");
  CU_ASSERT_EQUAL(run((char *[]){(char *)sipspec_bin, "coverage", "--fail-under", "100", a, NULL}, NULL), 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "charts below 100.0% of transitions taken"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "** BELOW THRESHOLD **"));
  CU_ASSERT_EQUAL(run((char *[]){(char *)sipspec_bin, "coverage", "--fail-under", "0", a, NULL}, NULL), 0);
  CU_ASSERT_EQUAL(run((char *[]){(char *)sipspec_bin, "coverage", "--fail-under", "12.5", a, NULL}, NULL), 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "chart nict: Non-INVITE client transaction (RFC 3261 §17.1.2 (Figure 6))\n"));
  CU_ASSERT_EQUAL(run((char *[]){(char *)sipspec_bin, "coverage", "--json", "--fail-under", "99", a, NULL}, NULL), 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "\"below\":[\"ict\""));
}

static void bad_input_exits_2_naming_the_file(void) {
  char *a = in_dir("a.json"), *bad = in_dir("negative.json"), *empty = in_dir("empty.json");
  char *text = slurp(a);
  char *at = strstr(text, "\"count\":5");
  CU_ASSERT_PTR_NOT_NULL_FATAL(at);
  FILE *f = fopen(bad, "w");
  fprintf(f, "%.*s\"count\":-5%s", (int)(at - text), text, at + 9);
  fclose(f);
  fclose(fopen(empty, "w"));
  CU_ASSERT_EQUAL(run((char *[]){(char *)sipspec_bin, "coverage", a, bad, NULL}, NULL), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "negative.json: line "));
  CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "count is negative (-5)"));
  CU_ASSERT_STRING_EQUAL(out_text, "");
  CU_ASSERT_EQUAL(run((char *[]){(char *)sipspec_bin, "coverage", empty, NULL}, NULL), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "empty.json: empty file"));
  CU_ASSERT_EQUAL(run((char *[]){(char *)sipspec_bin, "coverage", in_dir("nonexistent.json"), NULL}, NULL), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "nonexistent.json: cannot open: No such file"));
  /* a chart this sipspec does not have */
  char *unknown = in_dir("unknown.json");
  f = fopen(unknown, "w");
  at = strstr(text, "\"chart\":\"nict\"");
  fprintf(f, "%.*s\"chart\":\"nict2\"%s", (int)(at - text), text, at + 14);
  fclose(f);
  CU_ASSERT_EQUAL(run((char *[]){(char *)sipspec_bin, "coverage", unknown, NULL}, NULL), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "unknown.json: chart 'nict2' is not a chart of this sipspec"));
  free(text);
  /* usage */
  CU_ASSERT_EQUAL(run((char *[]){(char *)sipspec_bin, "coverage", NULL}, NULL), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "no coverage file given"));
  CU_ASSERT_EQUAL(run((char *[]){(char *)sipspec_bin, "coverage", "--fail-under", "abc", a, NULL}, NULL), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "--fail-under 'abc': not a percentage"));
  CU_ASSERT_EQUAL(run((char *[]){(char *)sipspec_bin, "coverage", "--fail-under", "101", a, NULL}, NULL), 2);
  CU_ASSERT_EQUAL(run((char *[]){(char *)sipspec_bin, "coverage", "--frobnicate", a, NULL}, NULL), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "unknown option '--frobnicate'"));
  CU_ASSERT_EQUAL(run((char *[]){(char *)sipspec_bin, "coverage", a, "--html", NULL}, NULL), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "--html needs a value"));
  CU_ASSERT_EQUAL(run((char *[]){(char *)sipspec_bin, "coverage", "--html", in_dir("no/such/dir.html"), a, NULL}, NULL), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "dir.html: cannot create"));
  CU_ASSERT_EQUAL(run((char *[]){(char *)sipspec_bin, "coverage", "--help", NULL}, NULL), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "usage: sipspec coverage"));
}

static void stale_file_is_reported_apart(void) {
  char *a = in_dir("a.json"), *old = in_dir("old.json");
  sipspec_coverage *cov = sipspec_coverage_new();
  char err[SIPSPEC_COVERAGE_ERRLEN];
  CU_ASSERT_EQUAL(sipspec_coverage_merge_file(cov, a, err, sizeof err), SIPSPEC_OK);
  /* the same counts, recorded by an "older" nict: another hash */
  for (int i = 0; i < cov->n; i++)
    if (!strcmp(cov->entries[i].chart, "nict")) {
      free(cov->entries[i].hash);
      cov->entries[i].hash = strdup("0123456789abcdef");
    }
  FILE *f = fopen(old, "w");
  sipspec_coverage_write(cov, f);
  fclose(f);
  sipspec_coverage_free(cov);
  CU_ASSERT_EQUAL(run((char *[]){(char *)sipspec_bin, "coverage", a, old, NULL}, NULL), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "warning: chart 'nict' has changed since some files were written"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "STALE: chart 'nict' has changed since"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "old.json recorded it (hash 0123456789abcdef there"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "10 counts on 2 of its 16 transitions are not merged"));
  /* the current figures come from a.json alone */
  CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "states 2/5 visited (40.0%), 10 transitions taken in all"));
}

static void html_page_is_written(void) {
  char *a = in_dir("a.json"), *page = in_dir("report.html");
  CU_ASSERT_EQUAL(run((char *[]){(char *)sipspec_bin, "coverage", "--html", page, a, NULL}, NULL), 0);
  char *html = slurp(page);
  int n;
  const sipspec_chart *const *charts = sipspec_charts(&n);
  for (int i = 0; i < n; i++) {
    char h2[128];
    snprintf(h2, sizeof h2, "<h2>%s: ", charts[i]->name);
    CU_ASSERT_PTR_NOT_NULL(strstr(html, h2));
  }
  CU_ASSERT_PTR_NOT_NULL(strstr(html, "<td class=\"num\">5</td>"));
  CU_ASSERT_PTR_NOT_NULL(strstr(html, "cov-hit"));
  CU_ASSERT_PTR_NOT_NULL(strstr(html, "cov-miss"));
  if (sipspec_chart_svg(charts[0]->name)) {
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<svg"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "id=\"nict-t_Trying__TIMER_E\" class=\"edge cov-hit\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "TIMER_E \xc3\x97" "5</text>"));
  } else {
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "No diagram"));
  }
  CU_ASSERT_PTR_NULL(strstr(html, "<script"));
  free(html);
}

static void summary_script_reports_a_folder(void) {
  /* the folder holds a.json, b.json, shared.json, old.json and the broken files of the
   * test above: the script is given a clean folder with two files instead */
  char *sub = in_dir("suite");
  CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0755), 0);
  char p1[200], p2[200];
  snprintf(p1, sizeof p1, "%s/one.json", sub);
  snprintf(p2, sizeof p2, "%s/two.json", sub);
  CU_ASSERT_EQUAL(run((char *[]){(char *)writer_bin, "1", NULL}, p1), 0);
  CU_ASSERT_EQUAL(run((char *[]){(char *)writer_bin, "2", NULL}, p2), 0);
  setenv("SIPSPEC", sipspec_bin, 1);
  CU_ASSERT_EQUAL(run((char *[]){"/bin/sh", (char *)summary_script, sub, NULL}, NULL), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "chart nict: "));
  CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "one.json"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "two.json"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "states 2/5 visited (40.0%), 6 transitions taken in all"));
  /* an empty folder is no error: there is nothing to report */
  char *none = in_dir("none");
  CU_ASSERT_EQUAL_FATAL(mkdir(none, 0755), 0);
  CU_ASSERT_EQUAL(run((char *[]){"/bin/sh", (char *)summary_script, none, NULL}, NULL), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "no coverage files"));
  rmdir(none);
  unlink(p1), unlink(p2);
  snprintf(p1, sizeof p1, "%s/one.json.lock", sub);
  snprintf(p2, sizeof p2, "%s/two.json.lock", sub);
  unlink(p1), unlink(p2);
  rmdir(sub);
}

static int make_dir(void) {
  strcpy(dir, "coverage-cli-XXXXXX");
  if (!mkdtemp(dir)) return -1;
  snprintf(out_path, sizeof out_path, "%s/stdout", dir);
  snprintf(err_path, sizeof err_path, "%s/stderr", dir);
  return 0;
}

static int remove_dir(void) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char p[384];
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    unlink(p);
  }
  if (d) closedir(d);
  free(out_text), free(err_text);
  return rmdir(dir);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: test_coverage_cli SIPSPEC COVERAGE_WRITER COVERAGE_SUMMARY\n");
    return 2;
  }
  sipspec_bin = argv[1], writer_bin = argv[2], summary_script = argv[3];
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("coverage collected by processes, reported by sipspec coverage", make_dir, remove_dir);
  CU_add_test(s, "programs write their counts at exit (SIPSPEC_COVERAGE_FILE, explicit path)", programs_write_at_exit);
  CU_add_test(s, "eight processes writing one file at once lose no counts", concurrent_writers_lose_no_counts);
  CU_add_test(s, "SIGTERM in the middle of repeated writes leaves a whole file and no temporary file",
              sigterm_during_writes_leaves_a_whole_file);
  CU_add_test(s, "sipspec coverage merges files: text and JSON", report_merges_files);
  CU_add_test(s, "--fail-under: exit 1 below the threshold, 0 at or above", threshold_sets_the_exit_status);
  CU_add_test(s, "corrupt, empty, missing files and bad options: exit 2 naming the culprit", bad_input_exits_2_naming_the_file);
  CU_add_test(s, "a file from an older chart is reported stale, not merged", stale_file_is_reported_apart);
  CU_add_test(s, "--html writes the page", html_page_is_written);
  CU_add_test(s, "tools/coverage-summary reports a folder of coverage files", summary_script_reports_a_folder);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return failures ? 1 : 0;
}

/*  exec_argv: a command's argument vector and environment, per item.    */

#include "exec_argv.h"
#include "pp_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  What becomes of an argument for each item.                            */
typedef enum {
    S_AS_GIVEN, /* no placeholder, or --pipe */
    S_FILLED,   /* placeholders replaced by the values as they are */
    S_SCRIPT,   /* a shell's -c script: values quoted where they stand */
    S_STRICT    /* another shell's -c script: only inert values */
} s_kind_t;

struct _exec_argv_t {
    char **argv;     /* CMD ARGS, NULL-terminated */
    s_kind_t *kinds; /* of each argv[i] */
    int argc;
    bool takes_item; /* an argument holds the item: no stdin */
    char **env;      /* environment snapshot + 5 free slots */
    size_t nenv;     /* entries before the free slots */
};

/*  --- placeholders ------------------------------------------------------- */

typedef enum {
    S_ITEM,        /* {}   the item */
    S_NO_EXT,      /* {.}  less its extension */
    S_BASE,        /* {/}  its basename */
    S_DIR,         /* {//} its dirname */
    S_BASE_NO_EXT, /* {/.} its basename less its extension */
    S_RECORD,      /* {#}  its 1-based input record number */
    S_NONE
} s_placeholder_t;

static const char *const s_tokens[] = {"{}",   "{.}",  "{/}",
                                       "{//}", "{/.}", "{#}"};

/*  The placeholder text starts with, or S_NONE.                          */
static s_placeholder_t
s_placeholder_at (const char *text)
{
    if (text[0] != '{')
        return S_NONE;
    for (int i = 0; i < S_NONE; i++)
        if (strncmp (text, s_tokens[i], strlen (s_tokens[i])) == 0)
            return (s_placeholder_t) i;
    return S_NONE;
}

/*  Whether arg holds a placeholder: one of the item when item_only ({#}
    is not), else any.                                                     */
static bool
s_holds (const char *arg, bool item_only)
{
    for (const char *at = strchr (arg, '{'); at; at = strchr (at + 1, '{')) {
        s_placeholder_t which = s_placeholder_at (at);
        if (which != S_NONE && !(item_only && which == S_RECORD))
            return true;
    }
    return false;
}

bool
exec_argv_has_placeholder (const char *arg)
{
    return s_holds (arg, false);
}

/*  dirname(1) of item: a part of it, or ".".                             */
static void
s_dirname (const char *item, size_t len, const char **value, size_t *vlen)
{
    size_t end = len;
    while (end > 1 && item[end - 1] == '/')
        end--;
    const char *slash = memrchr (item, '/', end);
    if (!slash) {
        *value = ".";
        *vlen = 1;
        return;
    }
    size_t dir = (size_t) (slash - item);
    while (dir > 0 && item[dir - 1] == '/')
        dir--;
    *value = item;
    *vlen = dir > 0 ? dir : 1; /* "/" */
}

/*  What the placeholder stands for: a part of item, ".", or number.      */
static void
s_value (s_placeholder_t which, const char *item, size_t len,
         const char *number, const char **value, size_t *vlen)
{
    const char *slash = memrchr (item, '/', len);
    const char *base = slash ? slash + 1 : item;
    size_t base_len = len - (size_t) (base - item);
    const char *dot = memrchr (base, '.', base_len);
    *value = which == S_BASE || which == S_BASE_NO_EXT ? base : item;
    switch (which) {
        case S_ITEM: *vlen = len; break;
        case S_NO_EXT: *vlen = dot ? (size_t) (dot - item) : len; break;
        case S_BASE: *vlen = base_len; break;
        case S_BASE_NO_EXT:
            *vlen = dot ? (size_t) (dot - base) : base_len;
            break;
        case S_DIR: s_dirname (item, len, value, vlen); break;
        default: *value = number; *vlen = strlen (number);
    }
}

/*  --- quoting for a shell ------------------------------------------------ */

/*  Where a shell reading the script stands.                              */
typedef enum {
    S_BARE,    /* outside quotes */
    S_DQUOTED, /* inside "..." */
    S_SQUOTED, /* inside '...' */
    S_NESTED   /* in `...`, ${...}, $((...)), "$(...)", <<, #: unsure */
} s_where_t;

/*  A byte no shell acts on anywhere (GNU parallel's set).               */
static bool
s_inert (unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '+' ||
           c == '/' || c == '-';
}

static bool
s_word_start (const char *arg, size_t i)
{
    return i == 0 || strchr (" \t\n;&|()<>", arg[i - 1]);
}

/*  Where the shell stands after reading arg[i], *taken bytes of arg (2:
    a backslash and the byte it escapes), from where it stood before.
    Anything that nests is S_NESTED for the rest of the script.           */
static s_where_t
s_lex (const char *arg, size_t i, s_where_t where, size_t *taken)
{
    char c = arg[i], next = arg[i + 1];
    /*  $(...) is a script of its own, quotes and all: outside quotes it
        starts where we are (bare); inside "..." it does not. $((...)),
        ((...)) and $[...] evaluate the value as arithmetic: unsure.       */
    bool nests =
        c == '`' || (c == '$' && (next == '{' || next == '[')) ||
        (c == '$' && next == '(' && (where != S_BARE || arg[i + 2] == '('));
    *taken = c == '\\' && next && where != S_SQUOTED ? 2 : 1;
    switch (where) {
        case S_BARE:
            if (nests || (c == '$' && (next == '\'' || next == '"')) ||
                (c == '<' && next == '<') || (c == '(' && next == '(') ||
                (c == '#' && s_word_start (arg, i)))
                return S_NESTED;
            return c == '\'' ? S_SQUOTED : c == '"' ? S_DQUOTED : S_BARE;
        case S_DQUOTED:
            if (nests)
                return S_NESTED;
            return c == '"' && *taken == 1 ? S_BARE : S_DQUOTED;
        case S_SQUOTED: return c == '\'' ? S_BARE : S_SQUOTED;
        default: return S_NESTED;
    }
}

/*  Output being measured (data NULL) or written.                         */
typedef struct {
    char *data;
    size_t len;
} s_out_t;

static void
s_put (s_out_t *out, const char *data, size_t len)
{
    if (out->data)
        memcpy (out->data + out->len, data, len);
    out->len += len;
}

/*  A run of bytes from 0x80 up, from value[i], inside '...' (bare) or
    "'...'" (in "..."): whatever a multibyte locale makes of them (in Big5,
    GBK or Shift-JIS a lead byte takes the next byte along, a backslash
    too), it never takes a quote or backslash of ours. Returns its end.   */
static size_t
s_put_high (s_out_t *out, const char *value, size_t len, size_t i, bool dquoted)
{
    size_t end = i;
    while (end < len && (unsigned char) value[end] >= 0x80)
        end++;
    s_put (out, dquoted ? "\"'" : "'", dquoted ? 2 : 1);
    s_put (out, value + i, end - i);
    s_put (out, dquoted ? "'\"" : "'", dquoted ? 2 : 1);
    return end;
}

/*  Writes value so that the shell, where it stands, reads exactly those
    bytes and runs none of them. False where it cannot be sure: nested,
    and value holds more than inert bytes.                                */
static bool
s_quote (s_out_t *out, const char *value, size_t len, s_where_t where)
{
    if (where == S_BARE && len == 0)
        s_put (out, "''", 2);
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char) value[i];
        if (where == S_NESTED && !s_inert (c))
            return false;
        if (c >= 0x80 && where != S_SQUOTED) {
            i = s_put_high (out, value, len, i, where == S_DQUOTED);
            continue;
        }
        if (where == S_BARE && c == '\n')
            s_put (out, "'\n'", 3);
        else if (where == S_SQUOTED && c == '\'')
            s_put (out, "'\\''", 4);
        else {
            if ((where == S_BARE && !s_inert (c)) ||
                (where == S_DQUOTED && strchr ("$`\"\\", c)))
                s_put (out, "\\", 1);
            s_put (out, value + i, 1);
        }
        i++;
    }
    return true;
}

/*  Fills in arg (see exec_argv_expand) into out, as kind says.            */
static int
s_expand (s_out_t *out, const char *arg, const char *item, size_t len,
          uint64_t record, s_kind_t kind)
{
    char number[24];
    snprintf (number, sizeof (number), "%llu", (unsigned long long) record);
    bool script = kind == S_SCRIPT || kind == S_STRICT;
    s_where_t where = kind == S_STRICT ? S_NESTED : S_BARE;
    for (size_t i = 0; arg[i];) {
        s_placeholder_t which = s_placeholder_at (arg + i);
        if (which == S_NONE) {
            size_t taken = 1;
            if (script)
                where = s_lex (arg, i, where, &taken);
            s_put (out, arg + i, taken);
            i += taken;
            continue;
        }
        const char *value;
        size_t vlen;
        s_value (which, item, len, number, &value, &vlen);
        if (memchr (value, '\0', vlen))
            return PP_EINVAL;
        if (!script)
            s_put (out, value, vlen);
        else if (!s_quote (out, value, vlen, where))
            return PP_EINVAL;
        i += strlen (s_tokens[which]);
    }
    return 0;
}

/*  arg filled in as kind says, into a new string in *out.               */
static int
s_expand_copy (const char *arg, const char *item, size_t len, uint64_t record,
               s_kind_t kind, char **out)
{
    s_out_t measure = {NULL, 0};
    int rc = s_expand (&measure, arg, item, len, record, kind);
    if (rc != 0)
        return rc;
    s_out_t copy = {malloc (measure.len + 1), 0};
    if (!copy.data)
        return PP_ENOMEM;
    s_expand (&copy, arg, item, len, record, kind);
    copy.data[copy.len] = '\0';
    *out = copy.data;
    return 0;
}

int
exec_argv_expand (const char *arg, const char *item, size_t len,
                  uint64_t record, bool script, char **out)
{
    return s_expand_copy (arg, item, len, record, script ? S_SCRIPT : S_FILLED,
                          out);
}

/*  --- the command line --------------------------------------------------- */

static const char *const s_shells[] = {"sh",    "ash",  "bash", "dash",  "ksh",
                                       "ksh93", "lksh", "mksh", "pdksh", "posh",
                                       "rbash", "yash", "zsh",  NULL};

/*  Shells whose quoting is not sh's: their -c script takes an item only
    if it is made of inert bytes.                                          */
static const char *const s_other_shells[] = {
    "csh", "tcsh", "fish", "rc", "es", "nu", "elvish", "xonsh", "pwsh", NULL};

/*  S_SCRIPT when arg names a POSIX shell, S_STRICT another shell, else
    S_AS_GIVEN.                                                            */
static s_kind_t
s_shell_kind (const char *arg)
{
    const char *slash = strrchr (arg, '/');
    const char *name = slash ? slash + 1 : arg;
    for (int i = 0; s_shells[i]; i++)
        if (strcmp (name, s_shells[i]) == 0)
            return S_SCRIPT;
    for (int i = 0; s_other_shells[i]; i++)
        if (strcmp (name, s_other_shells[i]) == 0)
            return S_STRICT;
    return S_AS_GIVEN;
}

/*  The index of the -c script of the shell at argv[at], else -1: its
    options read as a POSIX shell and bash read them.                     */
static int
s_script_of (char **argv, int argc, int at)
{
    bool dash_c = false;
    int i = at + 1;
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp (arg, "--") == 0 || strcmp (arg, "-") == 0) {
            i++;
            break;
        }
        if ((arg[0] != '-' && arg[0] != '+') || arg[1] == '\0')
            break;
        if (arg[0] == '-' && arg[1] == '-') { /* bash's long options */
            if (strcmp (arg, "--rcfile") == 0 ||
                strcmp (arg, "--init-file") == 0)
                i++;
            continue;
        }
        dash_c |= arg[0] == '-' && strchr (arg, 'c');
        if (strpbrk (arg + 1, "oO")) /* -o NAME */
            i++;
    }
    return dash_c && i < argc ? i : -1;
}

/*  The first argument naming a shell (after env, nice, timeout...) and
    its -c script, if any, with the kind of that shell in *kind.           */
static int
s_find_script (char **argv, int argc, s_kind_t *kind)
{
    for (int i = 0; i < argc; i++)
        if ((*kind = s_shell_kind (argv[i])) != S_AS_GIVEN)
            return s_script_of (argv, argc, i);
    return -1;
}

static int
s_copy_argv (exec_argv_t *self, char **argv, bool expand)
{
    while (argv[self->argc])
        self->argc++;
    self->argv = calloc ((size_t) self->argc + 1, sizeof (char *));
    self->kinds = calloc ((size_t) self->argc, sizeof (s_kind_t));
    if (!self->argv || !self->kinds)
        return PP_ENOMEM;
    s_kind_t shell = S_AS_GIVEN;
    int script = expand ? s_find_script (argv, self->argc, &shell) : -1;
    for (int i = 0; i < self->argc; i++) {
        if (!(self->argv[i] = strdup (argv[i])))
            return PP_ENOMEM;
        self->kinds[i] = !expand || !s_holds (argv[i], false) ? S_AS_GIVEN
                         : i == script                        ? shell
                                                              : S_FILLED;
        self->takes_item |= expand && s_holds (argv[i], true);
    }
    return 0;
}

static bool
s_is_ours (const char *var)
{
    return strncmp (var, "PP_SEQ=", 7) == 0 ||
           strncmp (var, "PP_RECORD=", 10) == 0 ||
           strncmp (var, "PP_RUN=", 7) == 0 ||
           strncmp (var, "PP_WORKER=", 10) == 0;
}

/*  Snapshots envp, less the variables we set per child (room is left for
    them and the NULL).                                                    */
static int
s_copy_env (exec_argv_t *self, char **envp)
{
    size_t count = 0;
    while (envp && envp[count])
        count++;
    self->env = calloc (count + 5, sizeof (char *));
    if (!self->env)
        return PP_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        if (s_is_ours (envp[i]))
            continue;
        if (!(self->env[self->nenv] = strdup (envp[i])))
            return PP_ENOMEM;
        self->nenv++;
    }
    return 0;
}

exec_argv_t *
exec_argv_new (char **argv, char **envp, bool expand)
{
    if (!argv || !argv[0])
        return NULL;
    exec_argv_t *self = calloc (1, sizeof (exec_argv_t));
    if (self &&
        (s_copy_argv (self, argv, expand) != 0 || s_copy_env (self, envp) != 0))
        exec_argv_destroy (&self);
    return self;
}

void
exec_argv_destroy (exec_argv_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    exec_argv_t *self = *self_p;
    for (int i = 0; self->argv && i < self->argc; i++)
        free (self->argv[i]);
    free (self->argv);
    free (self->kinds);
    for (size_t i = 0; i < self->nenv; i++)
        free (self->env[i]);
    free (self->env);
    free (self);
    *self_p = NULL;
}

char **
exec_argv_given (const exec_argv_t *self)
{
    return self->argv;
}

bool
exec_argv_takes_item (const exec_argv_t *self)
{
    return self->takes_item;
}

int
exec_argv_check (const exec_argv_t *self, const char *item, size_t len,
                 const char **why)
{
    if (self->takes_item && memchr (item, '\0', len)) {
        *why = "item holds a NUL byte: it cannot be an argument";
        return PP_EINVAL;
    }
    for (int i = 0; i < self->argc; i++) {
        s_out_t measure = {NULL, 0};
        s_kind_t kind = self->kinds[i];
        if ((kind == S_SCRIPT || kind == S_STRICT) &&
            s_expand (&measure, self->argv[i], item, len, 0, kind) != 0) {
            *why = kind == S_STRICT
                       ? "item holds bytes a shell acts on, and the -c "
                         "script is not a POSIX shell's (csh, fish...): "
                         "{} takes only letters, digits and _ . + / - there"
                       : "item holds bytes a shell acts on, and {} stands "
                         "where the script nests (`...`, ${...}, $((...)), "
                         "<<, #)";
            return PP_EINVAL;
        }
    }
    return 0;
}

void
exec_argv_free (const exec_argv_t *self, char **argv)
{
    if (!argv)
        return;
    for (int i = 0; i < self->argc; i++)
        if (self->kinds[i] != S_AS_GIVEN)
            free (argv[i]);
    free (argv);
}

char **
exec_argv_build (const exec_argv_t *self, const char *item, size_t len,
                 uint64_t record)
{
    char **argv = calloc ((size_t) self->argc + 1, sizeof (char *));
    if (!argv)
        return NULL;
    for (int i = 0; i < self->argc; i++) {
        if (self->kinds[i] == S_AS_GIVEN)
            argv[i] = self->argv[i];
        else if (s_expand_copy (self->argv[i], item, len, record,
                                self->kinds[i], &argv[i]) != 0) {
            exec_argv_free (self, argv);
            return NULL;
        }
    }
    return argv;
}

char **
exec_argv_env (const exec_argv_t *self, pp_job_ctx_t *ctx, bool per_item,
               char vars[4][48])
{
    char **envp = malloc ((self->nenv + 5) * sizeof (char *));
    if (!envp)
        return NULL;
    memcpy (envp, self->env, self->nenv * sizeof (char *));
    size_t n = self->nenv;
    snprintf (vars[0], 48, "PP_RUN=%016llx",
              (unsigned long long) pp_job_run_id (ctx));
    snprintf (vars[1], 48, "PP_WORKER=%08x", pp_job_worker_id (ctx));
    snprintf (vars[2], 48, "PP_SEQ=%llu",
              (unsigned long long) pp_job_seq (ctx));
    snprintf (vars[3], 48, "PP_RECORD=%llu",
              (unsigned long long) pp_job_record (ctx));
    envp[n++] = vars[0];
    envp[n++] = vars[1];
    if (per_item) {
        envp[n++] = vars[2];
        envp[n++] = vars[3];
    }
    envp[n] = NULL;
    return envp;
}

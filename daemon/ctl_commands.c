/* foictl's commands: each one's name, function, line in foictl --help and
 * usage, the one place a command's help text lives (ctl_args_parse prints
 * it for --help and after a usage error). */
#include <string.h>

#include "ctl.h"

const struct ctl_command ctl_commands[] = {
	{ "init", ctl_init, "write a first config, its password files and directories",
	  "usage: foictl init [--config PATH] [--force] [--name TEXT] [--address ADDR]\n"
	  "                   [--imap-host HOST] [--imap-port N] [--imap-security S]\n"
	  "                   [--imap-user USER] [--smtp-host HOST] [--smtp-port N]\n"
	  "                   [--smtp-security S] [--smtp-user USER] [--database FILE]\n"
	  "                   [--storage-dir DIR] [--data-dir DIR] [--templates-dir DIR]\n"
	  "                   [--password-stdin]\n"
	  "Writes a first config (mode 0640) at PATH (default: -c, $FOID_CONFIG, then\n"
	  "the system config), a password file of mode 0600 beside it for each server\n"
	  "and the database and store directories (mode 0700).  On a terminal it asks\n"
	  "for what the flags do not give, the password without echo; otherwise\n"
	  "--password-stdin reads the password (both servers) from standard input,\n"
	  "and without it the password files are left empty for you to fill.\n"
	  "S is tls, starttls or plain.  Refuses to overwrite a config without --force.\n" },
	{ "login", ctl_login, "sign a Microsoft 365 or Google mailbox in (OAuth2)",
	  "usage: foictl login imap|smtp [--wait SECONDS]\n"
	  "Signs the server's mailbox in by OAuth2 (Microsoft 365: a code to enter at\n"
	  "an address; Google: an address to open in a browser on this machine) and\n"
	  "keeps the refresh token in the server's token_file (mode 0600).\n"
	  "--wait bounds the wait for the person (default 900).\n" },
	{ "bodies", ctl_bodies, "import, list and show the bodies registry",
	  "usage: foictl bodies import [--dry-run] FILE.csv\n"
	  "       foictl bodies list [--json] [--tag TAG]\n"
	  "       foictl bodies show [--json] SHORT_NAME\n" },
	{ "deadline", ctl_deadline, "compute a due date, and explain it",
	  "usage: foictl deadline --regime R --from YYYY-MM-DD [--explain] [--extend]\n"
	  "  R: uk-foia, uk-eir, uk-foisa, us-foia, working:N[:CALENDAR], calendar:N[:CALENDAR]\n" },
	{ "round", ctl_round, "create, preview, launch, pause and resume rounds",
	  "usage: foictl round create SLUG --kind foi|survey --template FILE\n"
	  "                    [--regime REGIME] [--bodies all|tag:TAG|FILE]\n"
	  "                    [--closes YYYY-MM-DD] [--title TEXT] [--ref-prefix P]\n"
	  "                    [--thanks]\n"
	  "       foictl round preview SLUG [SHORT_NAME]\n"
	  "       foictl round launch SLUG [--wait]\n"
	  "       foictl round add SLUG --bodies all|tag:TAG|FILE\n"
	  "       foictl round pause SLUG\n"
	  "       foictl round resume SLUG\n"
	  "\n"
	  "REGIME: uk-foia (default for foi), uk-eir, uk-foisa, us-foia,\n"
	  "working:N[:CALENDAR] or calendar:N.  FILE for --bodies lists short names,\n"
	  "one per line.  A template name without '/' is looked up in templates_dir.\n"
	  "--thanks: a survey thanks each body that answered every question.\n"
	  "A survey launches once it has questions (foictl question).\n"
	  "launch --wait shows foid's progress until every request has been handed\n"
	  "to the SMTP server (or failed).\n" },
	{ "status", ctl_status, "where each request of a round stands",
	  "usage: foictl status [ROUND] [--json]\n" },
	{ "confirm", ctl_confirm, "settle a send foid could not confirm",
	  "usage: foictl confirm ROUND SHORT_NAME --sent [--note TEXT]\n"
	  "       foictl confirm ROUND SHORT_NAME --resend\n"
	  "Settles a request whose send foid could not confirm: --sent when you\n"
	  "know it arrived (e.g. the body acknowledged it), --resend to queue the\n"
	  "same message again.\n" },
	{ "inbox", ctl_inbox, "received mail that needs a person",
	  "usage: foictl inbox\nLists received mail waiting for a person: mail"
	  " that matched no\nrequest, that has no kind, or whose kind foid could"
	  " not tell (review),\nand survey replies foid could not read surely.\n" },
	{ "assign", ctl_assign, "assign a received message to a request",
	  "usage: foictl assign MESSAGE ROUND SHORT_NAME\n"
	  "Assigns a received message (its number in foictl inbox) to"
	  " a request;\nlater mail from the same sender goes there"
	  " too.\n" },
	{ "mark", ctl_mark, "set the kind of a received message (settles a review)",
	  "usage: foictl mark MESSAGE KIND\n"
	  "       foictl mark ROUND SHORT_NAME KIND [--message ID]\n"
	  "KIND: acknowledgement, clarification, extension, refusal, response,\n"
	  "auto_reply, bounce or other.  MESSAGE is a number from foictl inbox;\n"
	  "given ROUND SHORT_NAME without --message, the latest message received\n"
	  "for that request.  A person's kind settles a review (other too: read,\n"
	  "and really nothing); foid never undoes it.\n" },
	{ "show", ctl_show, "one request's whole thread, with the evidence",
	  "usage: foictl show ROUND SHORT_NAME\n" },
	{ "clarify", ctl_clarify, "answer a clarification request; the clock restarts",
	  "usage: foictl clarify ROUND SHORT_NAME --file TEXT\n"
	  "Sends our answer to the body's clarification request, threaded to it\n"
	  "(template clarification-reply.txt).  The count of working days\n"
	  "restarts from zero on the day it is sent.\n" },
	{ "extend", ctl_extend, "extend a request's due date by working days",
	  "usage: foictl extend ROUND SHORT_NAME --days N --reason TEXT\n"
	  "Adds N working days to the request's due date.\n" },
	{ "withdraw", ctl_withdraw, "withdraw a request",
	  "usage: foictl withdraw ROUND SHORT_NAME [--reason TEXT]\n"
	  "Withdraws the request: no reminder goes to the body any more.\n" },
	{ "remind", ctl_remind, "reminders and chasers due now (--dry-run)",
	  "usage: foictl remind [ROUND] [--dry-run]\n"
	  "Lists (--dry-run) or queues the reminders and chasers due now; foid\n"
	  "also queues them by itself.\n" },
	{ "question", ctl_question, "declare a coded question of a round",
	  "usage: foictl question ROUND KEY --choices yes|no|unclear [--wording TEXT]\n"
	  "       foictl question ROUND KEY --number [--unit UNIT] [--wording TEXT]\n"
	  "       foictl question ROUND KEY --text [--wording TEXT]\n"
	  "       foictl question ROUND\n"
	  "Declares a question of the round (or lists them); answers must fit it.\n"
	  "A choice may have synonyms: --choices 'yes=y,we do|no=n,we do not'.\n"
	  "The wording goes into a survey's invitation ({{survey.questions}}),\n"
	  "numbered in the order of declaration.\n" },
	{ "code", ctl_code, "record coded answers for a body",
	  "usage: foictl code ROUND SHORT_NAME KEY=VALUE... [--comment KEY=TEXT] [--confirm]\n"
	  "Records coded answers for a body (e.g. involved=yes); --comment adds a\n"
	  "comment to one of them (exported as KEY_comment); --confirm accepts\n"
	  "the answers foid read from a survey reply.\n" },
	{ "export", ctl_export, "export a round as CSV or JSON",
	  "usage: foictl export ROUND [--format csv|json] [--redact] [--output FILE]\n"
	  "       foictl export ROUND --format archive --output DIR|FILE.zip [--redact]\n"
	  "                     [--overwrite]\n"
	  "One row per body: every timing field of foictl status --json, the kind\n"
	  "of the first response, their reference, the text of the substantive\n"
	  "reply (reply_text: responses and refusals with their attachments' text)\n"
	  "and per question its answer, KEY_comment and KEY_coded_by (machine\n"
	  "until a person confirms, or person).  --format archive writes the mail\n"
	  "instead: a folder per body with each message as text and as the\n"
	  "original .eml, its attachments, index.csv and SHA256SUMS; a .zip when\n"
	  "the name ends so.  It refuses a non-empty DIR or an existing zip\n"
	  "without --overwrite.  --redact removes officers' email addresses and\n"
	  "phone numbers from the text it includes (an archive then leaves out\n"
	  "the .eml originals, which cannot be redacted).\n" },
	{ "report", ctl_report, "write a self-contained HTML report of a round",
	  "usage: foictl report ROUND --html FILE\n"
	  "Writes one self-contained HTML report of the round.\n" },
	{ "classify", ctl_classify, "how foid classifies mail files, and why",
	  "usage: foictl classify [--features] [--rules FILE] FILE.eml...\n"
	  "  Prints each file's kind, confidence, rule and evidence, as foid\n"
	  "  would file it.  --features prints what the model sees instead.\n"
	  "  --rules defaults to classify.rules in the data directory (the\n"
	  "  model is classify.model beside it).\n" },
	{ "read", ctl_read, "print a received message as a person reads it",
	  "usage: foictl read MESSAGE [--raw]\n"
	  "  Prints received message MESSAGE (the number show and inbox print):\n"
	  "  From, Date, Subject, the references, the decoded text and its\n"
	  "  attachments.  --raw prints the original bytes instead.\n" },
	{ "attachments", ctl_attachments, "list, save or print what the bodies attached",
	  "usage: foictl attachments ROUND BODY\n"
	  "       foictl attachments save ROUND BODY [--dir DIR] [--overwrite] [NUMBER...]\n"
	  "       foictl attachments cat NUMBER\n"
	  "  Lists the attachments a body sent in a round (number, name, type,\n"
	  "  size, message); save writes them (all, or the numbers given) into\n"
	  "  DIR (default .) under their sanitised names and prints each path;\n"
	  "  an existing file is kept unless --overwrite.  cat writes one to\n"
	  "  standard output, refusing binary types on a terminal.\n" },
	{ "search", ctl_search, "search the text of replies and attachments",
	  "usage: foictl search QUERY [--round R] [--body B] [--kind K] [--limit N] [--json]\n"
	  "  Searches the text of received mail and of its attachments.  Words are\n"
	  "  matched as typed (FOI-STP16-042, O'Neil, a lone NOT are words); \"a\n"
	  "  phrase\" in double quotes, AND, OR, NOT between two terms and a\n"
	  "  trailing * (prefix) keep their meaning.  One hit a line, best first:\n"
	  "  round, body, message number, date, file and page, and a snippet with\n"
	  "  the match in [brackets].\n" },
	{ "extract", ctl_extract, "take the text out of attachments filed before",
	  "usage: foictl extract [--again]\n"
	  "  Takes the text out of every attachment not read yet (mail filed\n"
	  "  before foid read attachments; foid does it as it files mail).\n"
	  "  --again reads every attachment afresh.\n" },
	{ NULL, NULL, NULL, NULL },
};

const char *ctl_usage(const char *cmd)
{
	size_t n = strcspn(cmd, " ");
	for (const struct ctl_command *k = ctl_commands; k->name; k++)
		if (strlen(k->name) == n && strncmp(k->name, cmd, n) == 0)
			return k->usage;
	return "";
}

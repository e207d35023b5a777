#!/usr/bin/env python3
"""A scripted IMAP server that answers as Exchange Online does, for tests.

Enough IMAP for foid: CAPABILITY, LOGIN, AUTHENTICATE XOAUTH2 (SASL-IR,
any token), SELECT/EXAMINE (with Exchange's real PERMANENTFLAGS, which
keep no custom keyword), STATUS, NOOP, UID SEARCH, UID FETCH, LOGOUT.
Like Exchange it answers NO to a STORE of a custom keyword and to a SEARCH
of one ("Command Argument Error. 11").  Every command line (tag dropped,
SASL responses cut) is appended to --log, so a test can count them.

Usage: exchange_imap.py --mail DIR --port-file FILE --log FILE
The messages of INBOX are the files of DIR, in name order, UIDs from 1;
the directory is read again at each SELECT, so a test may add mail.
"""
import argparse
import os
import re
import socketserver

PERMANENT = r"\Seen \Answered \Flagged \Deleted \Draft $MDNSent"
CAPS = ("IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS MOVE ID "
        "UNSELECT CHILDREN IDLE NAMESPACE LITERAL+")
UIDVALIDITY = 14


class Handler(socketserver.StreamRequestHandler):
    def send(self, text):
        self.wfile.write(text.encode() if isinstance(text, str) else text)
        self.wfile.flush()

    def note(self, line):
        with open(self.server.log, "a") as f:
            f.write(line + "\n")

    def messages(self):
        d = self.server.mail
        names = sorted(os.listdir(d))
        out = []
        for i, n in enumerate(names):
            with open(os.path.join(d, n), "rb") as f:
                out.append((i + 1, f.read()))
        return out

    def handle(self):
        self.send("* OK The Microsoft Exchange IMAP4 service is ready.\r\n")
        selected = False
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            parts = line.split(" ", 2)
            if len(parts) < 2:
                self.send("* BAD Command Error. 10\r\n")
                continue
            tag, cmd = parts[0], parts[1].upper()
            rest = parts[2] if len(parts) > 2 else ""
            if cmd in ("AUTHENTICATE", "LOGIN"):
                self.note(cmd + " " + rest.split(" ")[0])
            else:
                self.note(cmd + (" " + rest if rest else ""))
            if cmd == "CAPABILITY":
                self.send("* CAPABILITY %s\r\n%s OK CAPABILITY completed.\r\n" % (CAPS, tag))
            elif cmd == "LOGIN" or cmd == "AUTHENTICATE":
                self.send("%s OK %s completed.\r\n" % (tag, cmd))
            elif cmd in ("SELECT", "EXAMINE"):
                msgs = self.messages()
                selected = True
                self.send("* %d EXISTS\r\n* 0 RECENT\r\n"
                          "* FLAGS (%s)\r\n"
                          "* OK [PERMANENTFLAGS (%s)] Permanent flags\r\n"
                          "* OK [UIDVALIDITY %d] UIDVALIDITY value\r\n"
                          "* OK [UIDNEXT %d] The next unique identifier value\r\n"
                          "%s OK [READ-WRITE] %s completed.\r\n"
                          % (len(msgs), PERMANENT, PERMANENT, UIDVALIDITY, len(msgs) + 1,
                             tag, cmd))
            elif cmd == "STATUS":
                msgs = self.messages()
                box = rest.split(" ")[0]
                self.send("* STATUS %s (UIDVALIDITY %d UIDNEXT %d)\r\n%s OK STATUS completed.\r\n"
                          % (box, UIDVALIDITY, len(msgs) + 1, tag))
            elif cmd == "NOOP":
                self.send("%s OK NOOP completed.\r\n" % tag)
            elif cmd == "LOGOUT":
                self.send("* BYE Microsoft Exchange Server IMAP4 server signing off.\r\n"
                          "%s OK LOGOUT completed.\r\n" % tag)
                return
            elif cmd == "UID" and selected:
                self.uid(tag, rest)
            else:
                self.send("%s BAD Command Error. 12\r\n" % tag)

    def uid(self, tag, rest):
        sub, _, args = rest.partition(" ")
        sub = sub.upper()
        msgs = self.messages()
        if sub == "SEARCH":
            if "KEYWORD" in args.upper():
                return self.send("%s NO Command Argument Error. 11\r\n" % tag)
            m = re.search(r"UID (\d+):(\*|\d+)", args, re.I)
            lo = int(m.group(1)) if m else 1
            uids = [u for u, _ in msgs if u >= lo]
            if not uids and msgs and m and m.group(2) == "*":
                uids = [msgs[-1][0]]  # n:* always matches the highest UID
            self.send("* SEARCH%s\r\n%s OK SEARCH completed.\r\n"
                      % ("".join(" %d" % u for u in uids), tag))
        elif sub == "FETCH":
            want = set()
            for part in args.split(" ")[0].split(","):
                a, _, b = part.partition(":")
                lo = int(a)
                hi = (int(b) if b != "*" else 1 << 31) if b else lo
                want.update(u for u, _ in msgs if lo <= u <= hi)
            for seq, (uid, body) in enumerate(msgs, 1):
                if uid in want:
                    self.send(("* %d FETCH (UID %d INTERNALDATE \"01-Aug-2016 09:00:00 +0100\""
                               " RFC822.SIZE %d BODY[] {%d}\r\n")
                              % (seq, uid, len(body), len(body)))
                    self.send(body)
                    self.send(")\r\n")
            self.send("%s OK FETCH completed.\r\n" % tag)
        elif sub == "STORE":
            if "$" in args and "$MDNSent" not in args:
                return self.send("%s NO Command Argument Error. 11\r\n" % tag)
            self.send("%s OK STORE completed.\r\n" % tag)
        else:
            self.send("%s BAD Command Error. 12\r\n" % tag)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mail", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    srv.mail = a.mail
    srv.log = a.log
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()

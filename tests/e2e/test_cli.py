"""The `taube` command end to end: administration, configuration, serve lifecycle."""
import os
import signal
import sqlite3
import unittest

from taubetest import TaubeCase


class CliTest(TaubeCase):
    def test_version(self):
        out = self.taube("version", data=False).stdout
        self.assertRegex(out, r"^taube \d+\.\d+\.\d+")

    def test_domain_user_alias_lifecycle(self):
        self.taube("init")
        self.taube("domain", "add", "Example.ORG")
        self.assertEqual(self.taube("domain", "list").stdout.split(), ["example.org"])
        self.taube("user", "add", "alice@example.org", stdin="s3cret\n")
        self.taube("user", "add", "bob@example.org", stdin="hunter2\n")
        users = self.taube("user", "list").stdout.split()
        self.assertEqual(users, ["alice@example.org", "bob@example.org"])
        # The password is stored as an argon2id hash, never in clear.
        db = sqlite3.connect(os.path.join(self.data, "taube.db"))
        blob = b"".join(bytes(str(row), "utf-8") for row in db.execute("select * from accounts"))
        db.close()
        self.assertNotIn(b"s3cret", blob)
        self.assertIn(b"$argon2id$", blob)

        self.taube("alias", "add", "team@example.org", "alice@example.org", "bob@example.org")
        self.taube("alias", "add", "@example.org", "alice@example.org")
        aliases = self.taube("alias", "list").stdout
        self.assertIn("team@example.org -> alice@example.org, bob@example.org", aliases)
        self.assertIn("@example.org -> alice@example.org", aliases)
        self.taube("alias", "del", "team@example.org")
        self.assertNotIn("team@example.org", self.taube("alias", "list").stdout)

        boxes = self.taube("mailbox", "list", "alice@example.org").stdout
        for name, use in [("INBOX", ""), ("Drafts", "\\Drafts"), ("Sent", "\\Sent"), ("Trash", "\\Trash"),
                          ("Junk", "\\Junk"), ("Archive", "\\Archive")]:
            self.assertRegex(boxes, rf"(?m)^{name}\s.*{use.replace(chr(92), chr(92) * 2)}")

        self.taube("user", "passwd", "bob@example.org", stdin="new-pass\n")
        self.taube("user", "del", "bob@example.org")
        self.assertEqual(self.taube("user", "list").stdout.split(), ["alice@example.org"])

    def test_bad_input_gives_clear_error_and_nonzero_exit(self):
        self.taube("init")
        cases = [
            (["domain", "add", "not a domain"], "invalid domain"),
            (["user", "add", "carol@nowhere.example"], "domain nowhere.example"),
            (["user", "add", "no-at-sign"], "invalid address"),
            (["user", "del", "ghost@example.org"], "no such"),
            (["mailbox", "list", "ghost@example.org"], "no such"),
            (["alias", "add", "x@example.org"], "target"),
            (["frobnicate"], ""),
        ]
        self.taube("domain", "add", "example.org")
        for args, text in cases:
            proc = self.taube(*args, stdin="pw\n", check=False)
            self.assertNotEqual(proc.returncode, 0, args)
            self.assertIn(text, proc.stderr.lower(), (args, proc.stderr))
        # Adding twice is an error too, and changes nothing.
        self.taube("user", "add", "dave@example.org", stdin="pw\n")
        dup = self.taube("user", "add", "DAVE@example.org", stdin="pw2\n", check=False)
        self.assertNotEqual(dup.returncode, 0)
        self.assertIn("exists", dup.stderr.lower())
        empty = self.taube("user", "add", "erin@example.org", stdin="", check=False)
        self.assertNotEqual(empty.returncode, 0)
        self.assertIn("password", empty.stderr.lower())

    def test_config_check_names_unknown_key_and_line(self):
        good = self.write_config('[server]\nhostname = "mail.example.org"\n')
        self.assertIn("ok", self.taube("--config", good, "config", "check").stdout.lower())
        bad = self.write_config('[server]\nhostname = "x"\nhostnme = "y"\n')
        proc = self.taube("--config", bad, "config", "check", check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(":3: unknown key 'server.hostnme'", proc.stderr)

    def test_serve_creates_store_prints_welcome_once_and_stops_on_sigterm(self):
        proc = self.start_server()
        rc, log = self.stop_server(proc)
        self.assertEqual(rc, 0, log)
        self.assertIn("event=server.stopped", log)
        self.assertTrue(os.path.exists(os.path.join(self.data, "taube.db")))
        self.assertIn(" user add alice@example.org", log)  # the first-start welcome says how to add an account
        db = sqlite3.connect(os.path.join(self.data, "taube.db"))
        self.assertEqual(db.execute("pragma integrity_check").fetchone()[0], "ok")
        self.assertEqual(db.execute("pragma journal_mode").fetchone()[0], "wal")
        db.close()
        # Second start: no welcome again.
        proc = self.start_server(config=os.path.join(self.data, "taube.toml"))
        rc, log = self.stop_server(proc, sig=signal.SIGINT)
        self.assertEqual(rc, 0, log)
        self.assertNotIn(" user add alice@example.org", log)


if __name__ == "__main__":
    unittest.main()

"""`taube share`: calendars and address books shared between accounts, end to end
through the real binary and its SQLite store."""
import unittest

from taubetest import TaubeCase


class ShareCliTest(TaubeCase):
    def setUp(self):
        super().setUp()
        self.taube("init")
        self.taube("domain", "add", "example.org")
        for user in ("bob", "alice", "carol"):
            self.taube("user", "add", f"{user}@example.org", stdin="pw\n")

    def test_add_list_change_and_remove(self):
        self.assertEqual(self.taube("share", "list").stdout, "no shares\n")
        out = self.taube("share", "add", "bob@example.org", "calendar", "alice@example.org").stdout
        self.assertIn("shared bob@example.org/calendar with alice@example.org (read)", out)
        self.taube("share", "add", "bob@example.org", "contacts", "carol@example.org", "read-write")
        self.assertEqual(
            self.taube("share", "list").stdout,
            "bob@example.org/calendar (calendar) -> alice@example.org read\n"
            "bob@example.org/contacts (addressbook) -> carol@example.org read-write\n")
        self.assertEqual(self.taube("share", "list", "carol@example.org").stdout,
                         "bob@example.org/contacts (addressbook) -> carol@example.org read-write\n")
        # Sharing again changes the access rather than adding a second share.
        self.taube("share", "add", "bob@example.org", "calendar", "alice@example.org", "read-write")
        self.assertIn("bob@example.org/calendar (calendar) -> alice@example.org read-write",
                      self.taube("share", "list", "alice@example.org").stdout)
        self.taube("share", "del", "bob@example.org", "calendar", "alice@example.org")
        self.assertEqual(self.taube("share", "list", "alice@example.org").stdout, "no shares\n")
        # A deleted account takes its shares along.
        self.taube("user", "del", "carol@example.org")
        self.assertEqual(self.taube("share", "list").stdout, "no shares\n")

    def test_errors_are_clear_and_exit_nonzero(self):
        cases = [
            (["share", "add", "ghost@example.org", "calendar", "alice@example.org"], "no such account"),
            (["share", "add", "bob@example.org", "holidays", "alice@example.org"], "no such collection"),
            (["share", "add", "bob@example.org", "calendar", "alice@example.org", "owner"], "read or read-write"),
            (["share", "add", "bob@example.org", "calendar", "bob@example.org"], "owner"),
            (["share", "del", "bob@example.org", "calendar", "alice@example.org"], "not shared"),
            (["share", "list", "ghost@example.org"], "no such account"),
            (["share", "add", "bob@example.org"], ""),
        ]
        for args, text in cases:
            proc = self.taube(*args, check=False)
            self.assertNotEqual(proc.returncode, 0, args)
            self.assertIn(text, proc.stderr, args)
        self.assertEqual(self.taube("share", "list").stdout, "no shares\n")


if __name__ == "__main__":
    unittest.main()

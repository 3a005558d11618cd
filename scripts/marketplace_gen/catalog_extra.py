"""More vocabularies (end-of-auction comments, comment suffixes, defect snippets)."""

from __future__ import annotations

COMMENTS_END_UNSOLD = [
    "Reserve not met? Surprised, it looked like a nice {x}.",
    "Bummer it did not sell. The seller should have taken the high bid.",
    "Reserve was too high for this {x}, not surprised.",
    "Hope it finds a new home soon.",
]
# Clean suffixes appended to comment bodies (style variety, never personal data).
CLEAN_SUFFIXES = [
    "",
    "",
    "",
    "",
    "",
    "!",
    "!!",
    " \U0001f44d",
    " :)",
    " lol",
    " Really great car!",
    " Just my two cents.",
    " Not bad, but not great either.",
    " GLWA!",
    " \U0001f60d",
    " Honestly, I would pass.",
    " Very very nice.",
]
RANT = (
    " I have owned four of these over the years and every single one needed more work than the seller "
    "admitted. Check the frame rails, check the cooling system, and do not believe anyone who says the "
    "paint is original without a paint meter reading. Still, when they are sorted, nothing drives better."
)
PHONE_SNIPPETS = [
    " call me at 555-010-2233",
    " text me: (555) 014-7788",
    " my cell is 555.017.4410",
    " phone +1 (555) 019-3344 for details",
]
EMAIL_SNIPPETS = [
    " email me at jdoe@example.com",
    " reach me at carguy77@example.net",
    " contact: sales@example-motors.com",
    " write to m.rossi@example.org",
]
CONTROL_SNIPPETS = ["\x07", "\x1b[0m", "\x08", "\x0b", "\x1f"]
ZERO_WIDTH_SNIPPETS = ["\u200b", "\u200d", "\ufeff"]
CYRILLIC_LOOKALIKE = {
    "a": "\u0430",
    "o": "\u043e",
    "e": "\u0435",
    "c": "\u0441",
    "p": "\u0440",
    "x": "\u0445",
    "y": "\u0443",
}
PLACEHOLDERS = ["Unknown", "N/A", "-", ""]
MALFORMED_URLS = [
    "htp:/broken",
    "https://",
    "not a url",
    "http://",
    "https:///images/missing.jpg",
    "cdn.example-marketplace.com/images",
]

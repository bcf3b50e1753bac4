#!/usr/bin/env python3
"""Writes tests/vectors/tokens.jsonl: media token vectors (docs/CONTRACT.md section 3).

Tokens are made exactly as the backend makes them:

    payload = json.dumps(d, separators=(",", ":"), sort_keys=True).encode()
    t = b64(payload) + "." + b64(hmac.new(secret.encode(), payload, sha256).digest())
    b64(x) = base64.urlsafe_b64encode(x).rstrip(b"=")

with d = {"k": key.lstrip("/"), "m": "pub"} or {"e": exp, "k": ..., "m": "priv"}.
Negative rows sign hand-written payload bytes with the same HMAC, or bend a
good token's shape. The output is deterministic: run it again and diff.

One JSON object per line:
  name     unique row id
  clause   the contract clause or behaviour the row pins down
  token    the raw t value
  key      the request key, as the key layer hands it over (decoded, leading "/" stripped)
  secrets  configured secrets, in order ("" = slot not configured)
  now, leeway, max_ttl   the TokenPolicy
  want     the Reason name (reason.cc): "serve_full" means accepted
  mode     the verdict's mode: "none", "pub" or "priv"
  exp      (optional) the verdict's exp; not checked when absent
  mint     (optional) {"key", "mode", "exp", "secret"}: token_mint must produce `token` byte for byte;
           mode "put" adds "ct" and, when the backend set one, "n": token_mint_put must produce it
  write    (optional, default false) the request writes (PUT): only put tokens are accepted
  max_upload_ttl  (optional, default 3600) the put tokens' longest lifetime (MEDIA_MAX_UPLOAD_TTL_SECONDS)
  ct, n    (optional) an accepted put token's verdict: its ct, and its n (0 when absent)

Put tokens (docs/UPLOADS.md, "For the backend team") are minted by mint_put_token below,
the lines the backend copies.

Usage: python3 tests/vectors/make_token_vectors.py  (from anywhere)
"""

import base64
import hashlib
import hmac
import json
import os

SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"  # contract vector secret
PREVIOUS = "previous-secret: rotated out, still accepted while configured"
E = 1767226200  # contract private vector expiry
LEEWAY = 60
MAX_TTL = 3600
MAX_PAYLOAD = 3584  # kMaxPayloadBytes (wasm/src/token.h)
MAX_TOKEN = 4864  # kMaxTokenBytes
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)

rows = []
names = set()


def b64(x: bytes) -> str:
    return base64.urlsafe_b64encode(x).rstrip(b"=").decode("ascii")


def mac(payload: bytes, secret: str = SECRET) -> bytes:
    return hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).digest()


def sign(payload: bytes, secret: str = SECRET) -> str:
    return b64(payload) + "." + b64(mac(payload, secret))


def backend_payload(key: str, mode: str, exp=None) -> bytes:
    key = key.lstrip("/")
    d = {"k": key, "m": "pub"} if mode == "pub" else {"e": exp, "k": key, "m": "priv"}
    return json.dumps(d, separators=(",", ":"), sort_keys=True).encode()


def backend_mint(key: str, mode: str, exp=None, secret: str = SECRET) -> str:
    return sign(backend_payload(key, mode, exp), secret)


# The backend's put token (docs/UPLOADS.md, "For the backend team"): these lines are
# copied there verbatim; tests/docs/docs.test.js checks that they still are.
def mint_put_token(key: str, ct: str, exp: int, secret: str, n: int = None) -> str:
    d = {"ct": ct, "e": exp, "k": key.lstrip("/"), "m": "put"}
    if n is not None:
        d["n"] = n
    payload = json.dumps(d, separators=(",", ":"), sort_keys=True).encode()
    sig = hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).digest()
    b64 = lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode("ascii")
    return b64(payload) + "." + b64(sig)


def row(name, clause, token, key, want, mode="none", secrets=(SECRET,), now=E - 10, leeway=LEEWAY,
        max_ttl=MAX_TTL, exp=None, mint=None, write=False, max_upload_ttl=None, ct=None, n=None):
    assert name not in names, name
    names.add(name)
    # Every number must survive JSON.parse in the Worker tests.
    for x in (now, leeway, max_ttl, exp, (mint or {}).get("exp"), (mint or {}).get("n"), max_upload_ttl, n):
        assert x is None or abs(x) < 2**53, name
    r = {"name": name, "clause": clause, "token": token, "key": key, "secrets": list(secrets),
         "now": now, "leeway": leeway, "max_ttl": max_ttl, "want": want, "mode": mode}
    if exp is not None:
        r["exp"] = exp
    if mint is not None:
        r["mint"] = mint
    if write:
        r["write"] = True
    if max_upload_ttl is not None:
        r["max_upload_ttl"] = max_upload_ttl
    if ct is not None:
        r["ct"] = ct
        r["n"] = n or 0
    rows.append(r)


def minted(name, clause, key, mode, exp=None, secret=SECRET, now=E - 10, request_key=None, **kw):
    """A backend token that must verify for its key and that token_mint must reproduce."""
    token = backend_mint(key, mode, exp, secret)
    assert len(backend_payload(key, mode, exp)) <= MAX_PAYLOAD, name
    assert len(token) <= MAX_TOKEN, name
    row(name, clause, token, key.lstrip("/") if request_key is None else request_key, "serve_full",
        mode, now=now, exp=exp if mode == "priv" else None,
        mint={"key": key, "mode": mode, "exp": exp, "secret": secret}, **kw)


def signed(name, clause, payload, want, key="u/a.png", mode="none", exp=None, **kw):
    """Hand-written payload bytes, correctly signed: what the JSON layer decides."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    row(name, clause, sign(payload), key, want, mode, exp=exp, **kw)


# ---- Accepted: every character class a key can hold, public and private ----

KEYS = [
    ("contract_public", "u/me_1/0123456789abcdef0123456789abcdef.png"),
    ("contract_private", "u/me_1/café 😀.jpg"),
    ("contract_leading_slash", "/u/me_1/a b%2F~+.webp"),
    ("space", "u/me_1/a b  c .png"),
    ("percent", "u/me_1/100% real %41%2F.png"),
    ("plus_tilde", "u/me_1/a+b~c.png"),
    ("json_punctuation", "u/me_1/{a}[b]:c,d.png"),
    ("quote", 'u/me_1/say "cheese".png'),
    ("apostrophe", "u/me_1/it's.png"),
    ("backslash", "u/me_1/back\\slash\\.png"),  # the key layer refuses it; the token layer still handles it
    ("html", "u/me_1/</script><b>&amp;.png"),
    ("latin_accents", "u/me_1/ünïcödé façade.jpg"),
    ("greek", "u/me_1/Ωμέγα.png"),
    ("cyrillic", "u/me_1/Привет мир.webp"),
    ("cjk", "u/me_1/日本語のファイル名.png"),
    ("hangul", "u/me_1/한국어.png"),
    ("arabic_rtl", "u/me_1/ملف.png"),
    ("emoji", "u/me_1/😀🎉👍🏽.gif"),
    ("emoji_zwj", "u/me_1/👩‍👩‍👧.gif"),
    ("combining_nfd", "u/me_1/cafe\u0301.jpg"),
    ("precomposed_nfc", "u/me_1/caf\u00e9.jpg"),
    ("bmp_edges", "u/me_1/\u0080\u07ff\u0800\ud7ff\ue000\ufffd\uffff.bin"),
    ("astral_edges", "u/me_1/\U00010000\U0010ffff.bin"),
    ("line_separators", "u/me_1/\u2028\u2029\u0085.bin"),
    ("bom_and_nbsp", "u/me_1/\ufeff\u00a0\u200b.bin"),
    ("controls_short_escapes", "u/me_1/b\bf\fn\nr\rt\t.bin"),
    ("controls_u_escapes", "u/me_1/\x00\x01\x1b\x1f.bin"),
    ("del", "u/me_1/del\x7f.bin"),
    ("slash_escape_free", "u/me_1/a//b/.png"),
    ("many_leading_slashes", "///u/me_1/x.png"),
    ("ascii_1024", "u/" + "a" * 1022),
    ("latin_2byte_1024", "u/" + "é" * 511),
    ("cjk_3byte_1022", "u/" + "日" * 340),
    ("emoji_4byte_1022", "u/" + "😀" * 255),
    ("quotes_1024", "u/" + '"' * 1022),
]

for label, key in KEYS:
    assert len(key.lstrip("/").encode()) <= 1024, label
    minted(f"pub_{label}", "3 public token for a key of this class verifies; mint matches the backend",
           key, "pub", now=E)
    minted(f"priv_{label}", "3 private token for a key of this class verifies; mint matches the backend",
           key, "priv", E)

# e is any integer the backend could write; only the clock decides. (e at the
# int64 limits: test_token.cc, since JSON numbers past 2^53 do not survive JS.)
for label, e in [("zero", 0), ("negative", -5), ("small", 7), ("js_safe_max", 2**53 - 1)]:
    minted(f"priv_e_{label}", "3 private e as Python writes any int; mint matches the backend",
           "u/me_1/x.png", "priv", e, now=e - 10)

# ---- Contract vectors at the clock boundaries ----

CONTRACT_KEY = "u/me_1/café 😀.jpg"
ctok = backend_mint(CONTRACT_KEY, "priv", E)
# The generator reproduces the contract's three vectors (docs/CONTRACT.md section 3).
assert ctok == ("eyJlIjoxNzY3MjI2MjAwLCJrIjoidS9tZV8xL2NhZlx1MDBlOSBcdWQ4M2RcdWRlMDAuanBnIiwibSI6InByaXYifQ"
                ".dqyQa-PkJ2Wn8EavPak6uZQHF91QkLcqvsZSsOIYKuE")
assert backend_mint("u/me_1/0123456789abcdef0123456789abcdef.png", "pub") == (
    "eyJrIjoidS9tZV8xLzAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmLnBuZyIsIm0iOiJwdWIifQ"
    ".okscWHgWOe53IHi2ElOPJTTRMZE3dMRqOqc0IP68N5I")
assert backend_mint("/u/me_1/a b%2F~+.webp", "pub") == (
    "eyJrIjoidS9tZV8xL2EgYiUyRn4rLndlYnAiLCJtIjoicHViIn0.cuprcm91uKfFQVngOjW_xfeET65l8jfHauXRpgqYa2U")
for name, now, lee, ttl, want in [
    ("clock_before_e", E - 10, LEEWAY, MAX_TTL, "serve_full"),
    ("clock_at_e", E, LEEWAY, MAX_TTL, "serve_full"),
    ("clock_at_e_plus_leeway", E + LEEWAY, LEEWAY, MAX_TTL, "serve_full"),
    ("clock_past_e_plus_leeway", E + LEEWAY + 1, LEEWAY, MAX_TTL, "token_expired"),
    ("clock_long_past", E + 86400 * 365, LEEWAY, MAX_TTL, "token_expired"),
    ("clock_leeway_zero_at_e", E, 0, MAX_TTL, "serve_full"),
    ("clock_leeway_zero_past_e", E + 1, 0, MAX_TTL, "token_expired"),
    ("clock_e_at_max_ttl_plus_leeway", E - MAX_TTL - LEEWAY, LEEWAY, MAX_TTL, "serve_full"),
    ("clock_e_beyond_max_ttl_plus_leeway", E - MAX_TTL - LEEWAY - 1, LEEWAY, MAX_TTL, "token_expiry_too_far"),
    ("clock_e_beyond_short_max_ttl", E - 700, LEEWAY, 600, "token_expiry_too_far"),
]:
    row(name, "3.3 private expiry: now > e + leeway expired; e > now + max_ttl + leeway forbidden",
        ctok, CONTRACT_KEY, want, "priv", now=now, leeway=lee, max_ttl=ttl, exp=E)

ext = {"e": INT64_MAX, "k": "u/a.png", "m": "priv"}
signed("expiry_int64_max_no_overflow", "3.3 e = 2^63-1 is too far, no wrap-around",
       json.dumps(ext, separators=(",", ":"), sort_keys=True), "token_expiry_too_far", mode="priv")
ext["e"] = INT64_MIN
signed("expiry_int64_min_no_overflow", "3.3 e = -2^63 is expired, no wrap-around",
       json.dumps(ext, separators=(",", ":"), sort_keys=True), "token_expired", mode="priv")

# ---- Step 1: missing ----

row("empty_token", "3.1 empty t: restricted", "", "u/a.png", "token_missing")

# ---- Step 2: shape ----

good = backend_mint("u/a.png", "pub")
gp, gm = good.split(".")
row("good_reference", "3 the token the shape rows bend", good, "u/a.png", "serve_full", "pub")


def shape(name, clause, token, want="token_malformed"):
    row(name, clause, token, "u/a.png", want)


shape("no_dot", "3.2 not two parts", gp)
shape("three_parts", "3.2 not two parts", good + "." + gm)
shape("trailing_dot", "3.2 not two parts", good + ".")
shape("leading_dot", "3.2 not two parts", "." + good)
shape("only_dot", "3.2 empty parts", ".")
shape("only_dots", "3.2 empty parts", "..")
shape("empty_payload_part", "3.2 empty payload part", "." + gm)
shape("empty_mac_part", "3.2 empty MAC part", gp + ".")
shape("space_before", "3.2 whitespace is not base64url", " " + good)
shape("space_after", "3.2 whitespace is not base64url", good + " ")
shape("newline_after", "3.2 whitespace is not base64url", good + "\n")
shape("tab_inside", "3.2 whitespace is not base64url", gp[:5] + "\t" + gp[5:] + "." + gm)
shape("space_around_dot", "3.2 whitespace is not base64url", gp + " . " + gm)
shape("non_ascii", "3.2 non-alphabet character", gp + "é." + gm)
shape("nul_char", "3.2 non-alphabet character", gp + "\x00." + gm)

pad_payload = b'{"k":"u/a.png","m":"pub"}'  # 25 bytes: its base64 needs "=="
assert len(pad_payload) % 3 == 1
std_p = base64.urlsafe_b64encode(pad_payload).decode()
assert std_p.endswith("==")
shape("payload_padded", "3.2 padding is not strict base64url", std_p + "." + b64(mac(pad_payload)))
shape("payload_one_pad", "3.2 padding is not strict base64url", std_p[:-1] + "." + b64(mac(pad_payload)))
shape("mac_padded", "3.2 padding is not strict base64url",
      b64(pad_payload) + "." + base64.urlsafe_b64encode(mac(pad_payload)).decode())
row("pad_payload_unpadded", "3 the same payload without padding verifies", sign(pad_payload), "u/a.png",
    "serve_full", "pub")

# Standard-alphabet '+' and '/' instead of '-' and '_': the contract vectors 2 and 3 contain both.
for label, key, mode, exp in [("contract_private", CONTRACT_KEY, "priv", E),
                              ("contract_leading_slash", "/u/me_1/a b%2F~+.webp", "pub", None)]:
    t = backend_mint(key, mode, exp)
    std = t.replace("-", "+").replace("_", "/")
    assert std != t
    row(f"std_alphabet_{label}", "3.2 '+' and '/' are not base64url", std, key.lstrip("/"), "token_malformed")

# Non-zero pad bits: the last character of a 2- or 3-character tail must leave its low bits zero.
ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
bent = gp[:-1] + ALPHA[ALPHA.index(gp[-1]) + 1]
assert len(gp) % 4 in (2, 3)
assert base64.urlsafe_b64decode(bent + "=" * (-len(bent) % 4)) == base64.urlsafe_b64decode(gp + "=" * (-len(gp) % 4))
shape("payload_nonzero_pad_bits", "3.2 non-canonical base64url (pad bits set)", bent + "." + gm)
gm_bent = gm[:-1] + ALPHA[ALPHA.index(gm[-1]) + 1]
shape("mac_nonzero_pad_bits", "3.2 non-canonical base64url (pad bits set)", gp + "." + gm_bent)
shape("payload_len_1_mod_4", "3.2 base64url length 1 mod 4",
      (gp + "AAAA")[: len(gp) + (1 - len(gp)) % 4] + "." + gm)
shape("mac_31_bytes", "3.2 MAC is not 32 bytes", gp + "." + b64(mac(b'{"k":"u/a.png","m":"pub"}')[:31]))
shape("mac_33_bytes", "3.2 MAC is not 32 bytes", gp + "." + b64(mac(b'{"k":"u/a.png","m":"pub"}') + b"\0"))
shape("mac_64_bytes", "3.2 MAC is not 32 bytes", gp + "." + b64(mac(b"x") * 2))

# Size bounds: the largest payload verifies, one byte more is malformed before any HMAC.
def sized_payload(n: int) -> bytes:
    head = b'{"k":"u/a.png","m":"pub","z":"'
    p = head + b"z" * (n - len(head) - 2) + b'"}'
    assert len(p) == n
    return p


row("payload_at_bound", "3.2 payload of exactly kMaxPayloadBytes verifies", sign(sized_payload(MAX_PAYLOAD)),
    "u/a.png", "serve_full", "pub")
row("payload_over_bound", "3.2 payload over kMaxPayloadBytes", sign(sized_payload(MAX_PAYLOAD + 1)),
    "u/a.png", "token_malformed")
shape("token_over_bound", "3.2 token over kMaxTokenBytes", "A" * (MAX_TOKEN - 43) + "." + gm)

# ---- Step 2: signature ----

shape("mac_tampered", "3.2 HMAC mismatch: one MAC character changed",
      gp + "." + gm[:10] + ALPHA[(ALPHA.index(gm[10]) + 1) % 64] + gm[11:], "token_bad_signature")
tampered = b'{"k":"u/b.png","m":"pub"}'
row("payload_tampered", "3.2 HMAC mismatch: payload swapped under a valid MAC", b64(tampered) + "." + gm,
    "u/b.png", "token_bad_signature")

prev_tok = backend_mint("u/a.png", "pub", secret=PREVIOUS)
cur_tok = good
R = "3.2 / 1 secret rotation: MEDIA_TOKEN_SECRET_PREVIOUS accepted while set"
row("rotation_previous_as_second", R, prev_tok, "u/a.png", "serve_full", "pub", secrets=(SECRET, PREVIOUS))
row("rotation_previous_only_current", R, prev_tok, "u/a.png", "token_bad_signature", secrets=(SECRET,))
row("rotation_previous_slot_empty", R, prev_tok, "u/a.png", "token_bad_signature", secrets=(SECRET, ""))
row("rotation_current_with_previous", R, cur_tok, "u/a.png", "serve_full", "pub", secrets=(SECRET, PREVIOUS))
row("rotation_current_slot_empty", R, prev_tok, "u/a.png", "serve_full", "pub", secrets=("", PREVIOUS))
row("rotation_swapped_order", R, cur_tok, "u/a.png", "serve_full", "pub", secrets=(PREVIOUS, SECRET))
row("no_secret_configured", "3.2 no configured secret: nothing verifies", cur_tok, "u/a.png",
    "token_bad_signature", secrets=())
row("only_empty_secrets", "3.2 empty secrets are skipped", cur_tok, "u/a.png", "token_bad_signature",
    secrets=("", ""))
row("secret_untrimmed_here", "1 secrets are trimmed by config, used as given here", cur_tok, "u/a.png",
    "token_bad_signature", secrets=(SECRET + "\n",))
row("secret_is_text_not_hex", "3 the secret is used as text, not hex-decoded",
    b64(pad_payload) + "." + b64(hmac.new(bytes.fromhex(SECRET), pad_payload, hashlib.sha256).digest()),
    "u/a.png", "token_bad_signature")
UTF8_SECRET = "sécret ключ 🔑"
minted("secret_non_ascii_utf8", "3 the secret's UTF-8 bytes are the HMAC key", "u/a.png", "pub",
       secret=UTF8_SECRET, secrets=(UTF8_SECRET,), now=E)

# ---- Step 2: payload is one strict JSON object ----

P = "3.2 payload not a JSON object"
signed("payload_array", P, '[{"k":"u/a.png","m":"pub"}]', "token_bad_payload")
signed("payload_string", P, '"u/a.png"', "token_bad_payload")
signed("payload_number", P, "1767226200", "token_bad_payload")
signed("payload_null", P, "null", "token_bad_payload")
signed("payload_true", P, "true", "token_bad_payload")
signed("payload_empty_object", "3.2 k missing (bad payload)", "{}", "token_bad_payload")
signed("payload_whitespace_only", P, " ", "token_bad_payload")
signed("payload_trailing_junk", "3.2 strict JSON: trailing garbage", '{"k":"u/a.png","m":"pub"}x',
       "token_bad_payload")
signed("payload_two_objects", "3.2 strict JSON: trailing garbage", '{"k":"u/a.png","m":"pub"}{}',
       "token_bad_payload")
signed("payload_trailing_comma_text", "3.2 strict JSON: trailing garbage", '{"k":"u/a.png","m":"pub"},',
       "token_bad_payload")
signed("payload_trailing_nul", "3.2 strict JSON: a NUL byte after the object", b'{"k":"u/a.png","m":"pub"}\x00',
       "token_bad_payload")
signed("payload_nul_then_junk", "3.2 strict JSON: a NUL byte after the object",
       b'{"k":"u/a.png","m":"pub"}\x00{"m":"priv"}', "token_bad_payload")
signed("payload_utf8_bom", "3.2 strict JSON: no byte order mark", b'\xef\xbb\xbf{"k":"u/a.png","m":"pub"}',
       "token_bad_payload")
signed("payload_unclosed", "3.2 strict JSON", '{"k":"u/a.png","m":"pub"', "token_bad_payload")
signed("payload_trailing_comma", "3.2 strict JSON: no trailing comma", '{"k":"u/a.png","m":"pub",}',
       "token_bad_payload")
signed("payload_single_quotes", "3.2 strict JSON", "{'k':'u/a.png','m':'pub'}", "token_bad_payload")
signed("payload_unquoted_name", "3.2 strict JSON", '{k:"u/a.png","m":"pub"}', "token_bad_payload")
signed("payload_comment", "3.2 strict JSON: no comments", '{"k":"u/a.png",/*x*/"m":"pub"}', "token_bad_payload")
signed("payload_nan", "3.2 strict JSON: no NaN", '{"k":"u/a.png","m":"pub","x":NaN}', "token_bad_payload")
signed("payload_infinity", "3.2 strict JSON: no Infinity", '{"k":"u/a.png","m":"pub","x":-Infinity}',
       "token_bad_payload")
signed("payload_leading_zero", "3.2 strict JSON number", '{"k":"u/a.png","m":"pub","x":01}', "token_bad_payload")
signed("payload_bare_minus", "3.2 strict JSON number", '{"k":"u/a.png","m":"pub","x":-}', "token_bad_payload")
signed("payload_dot_number", "3.2 strict JSON number", '{"k":"u/a.png","m":"pub","x":1.}', "token_bad_payload")
signed("payload_plus_number", "3.2 strict JSON number", '{"k":"u/a.png","m":"pub","x":+1}', "token_bad_payload")
signed("payload_number_overflow", "3.2 numbers beyond double range are refused (documented choice)",
       '{"k":"u/a.png","m":"pub","x":1e400}', "token_bad_payload")
signed("payload_raw_tab_in_string", "3.2 strict JSON: raw control character in a string",
       '{"k":"u/a\t.png","m":"pub"}', "token_bad_payload")
signed("payload_raw_newline_in_string", "3.2 strict JSON: raw control character in a string",
       '{"k":"u/a.png","m":"pub","x":"a\nb"}', "token_bad_payload")
signed("payload_bad_escape", "3.2 strict JSON: invalid escape", r'{"k":"u/a\x.png","m":"pub"}', "token_bad_payload")
signed("payload_short_u_escape", "3.2 strict JSON: invalid escape", r'{"k":"u/a\u12.png","m":"pub"}',
       "token_bad_payload")
signed("payload_whitespace_around", "3.2 RFC 8259 whitespace around tokens is JSON",
       ' \t\r\n{ "k" : "u/a.png" ,\n"m":"pub" } \n', "serve_full", mode="pub")

# Lone surrogates in escapes: not Unicode scalar values.
S = "3.2 strict JSON: lone surrogate escape"
signed("surrogate_lone_low", S, r'{"k":"u/\udc00.png","m":"pub"}', "token_bad_payload")
signed("surrogate_lone_high_end", S, r'{"k":"u/\ud83d","m":"pub"}', "token_bad_payload")
signed("surrogate_high_then_text", S, r'{"k":"u/\ud83dx.png","m":"pub"}', "token_bad_payload")
signed("surrogate_high_then_bmp", S, r'{"k":"u/\ud83d\u0041.png","m":"pub"}', "token_bad_payload")
signed("surrogate_high_high", S, r'{"k":"u/\ud83d\ud83d.png","m":"pub"}', "token_bad_payload")
signed("surrogate_reversed", S, r'{"k":"u/\ude00\ud83d.png","m":"pub"}', "token_bad_payload")
signed("surrogate_in_unknown_member", S, r'{"k":"u/a.png","m":"pub","x":"\udfff"}', "token_bad_payload")
signed("surrogate_in_member_name", S, r'{"k":"u/a.png","m":"pub","\udc00":1}', "token_bad_payload")
signed("surrogate_pair_uppercase_hex", "3 escapes are case-insensitive hex",
       r'{"k":"u/\uD83D\uDE00.png","m":"pub"}', "serve_full", key="u/😀.png", mode="pub")

# Raw (unescaped) bytes: valid UTF-8 is JSON, invalid UTF-8 is not.
U = "3.2 strict JSON: invalid UTF-8"
for label, raw in [("ff", b"\xff"), ("c0_overlong_slash", b"\xc0\xaf"), ("e0_overlong", b"\xe0\x80\xaf"),
                   ("f0_overlong", b"\xf0\x80\x80\xaf"), ("raw_surrogate", b"\xed\xa0\x80"),
                   ("raw_surrogate_pair", b"\xed\xa0\xbd\xed\xb8\x80"), ("truncated", b"\xe6\x97"),
                   ("lone_continuation", b"\x80"), ("above_10ffff", b"\xf4\x90\x80\x80"),
                   ("five_byte", b"\xf8\x88\x80\x80\x80"), ("latin1_e9", b"\xe9")]:
    signed(f"utf8_{label}_in_k", U, b'{"k":"u/' + raw + b'.png","m":"pub"}', "token_bad_payload")
signed("utf8_invalid_in_unknown_member", U, b'{"k":"u/a.png","m":"pub","x":"\xff"}', "token_bad_payload")
signed("utf8_invalid_in_member_name", U, b'{"k":"u/a.png","m":"pub","\xc3":1}', "token_bad_payload")
signed("utf8_invalid_outside_string", U, b'{"k":"u/a.png","m":"pub"}\xc3\xa9', "token_bad_payload")
signed("utf8_raw_valid_in_k", "3 raw UTF-8 in k is JSON too (bytes as sent)",
       '{"k":"u/café 😀.jpg","m":"pub"}', "serve_full", key="u/café 😀.jpg", mode="pub")

# Duplicate member names, compared after unescaping, at any depth.
D = "3.2 duplicate member names"
signed("dup_k_same", D, '{"k":"u/a.png","k":"u/a.png","m":"pub"}', "token_bad_payload")
signed("dup_k_different", D, '{"k":"u/b.png","k":"u/a.png","m":"pub"}', "token_bad_payload")
signed("dup_k_escaped", D, r'{"k":"u/a.png","\u006b":"u/a.png","m":"pub"}', "token_bad_payload")
signed("dup_k_escaped_upper", D, r'{"\u006B":"u/a.png","k":"u/a.png","m":"pub"}', "token_bad_payload")
signed("dup_m", D, '{"k":"u/a.png","m":"priv","m":"pub"}', "token_bad_payload")
signed("dup_e", D, '{"e":1767226200,"e":1767226200,"k":"u/a.png","m":"priv"}', "token_bad_payload")
signed("dup_unknown", D, '{"k":"u/a.png","m":"pub","x":1,"x":1}', "token_bad_payload")
signed("dup_empty_name", D, '{"":1,"k":"u/a.png","m":"pub","":2}', "token_bad_payload")
signed("dup_nested", "3.2 duplicate member names, nested (documented choice: any depth)",
       '{"k":"u/a.png","m":"pub","x":{"a":1,"a":2}}', "token_bad_payload")
signed("dup_nested_in_array", "3.2 duplicate member names, nested (documented choice: any depth)",
       '{"k":"u/a.png","m":"pub","x":[{"a":1},{"b":1,"b":2}]}', "token_bad_payload")
signed("dup_after_nested", D, '{"k":"u/a.png","x":{"k":"u/a.png"},"m":"pub","k":"u/a.png"}',
       "token_bad_payload")
signed("same_name_other_level", "3 one name at different depths is not a duplicate",
       '{"k":"u/a.png","m":"pub","x":{"k":"u/other","m":"priv","x":{"k":1}}}', "serve_full", mode="pub")
signed("same_name_sibling_objects", "3 the same names in sibling objects are not duplicates",
       '{"a":{"n":1},"b":{"n":1},"c":[{"n":1},{"n":2}],"k":"u/a.png","m":"pub"}', "serve_full", mode="pub")
signed("escaped_names_only", "3 member names are compared after unescaping",
       r'{"\u006b":"u/a.png","\u006d":"\u0070ub"}', "serve_full", mode="pub")

# Unknown members are ignored, however nested.
signed("unknown_members_ignored", "3.3 unknown extra members are ignored",
       '{"a":null,"k":"u/a.png","m":"pub","v":2,"x":{"y":[1,2.5,{"z":null}],"w":true,"s":"\\u00e9"},"z":[]}',
       "serve_full", mode="pub")
signed("unknown_members_ignored_priv", "3.3 unknown extra members are ignored",
       '{"e":1767226200,"k":"u/a.png","m":"priv","n":{"e":"x","k":[],"m":null}}', "serve_full", mode="priv",
       exp=E)
deep_ok = '{"k":"u/a.png","m":"pub","x":' + "[" * 31 + "]" * 31 + "}"
signed("nesting_at_bound", "3 nesting up to 32 levels (documented bound)", deep_ok, "serve_full", mode="pub")
deep_bad = '{"k":"u/a.png","m":"pub","x":' + "[" * 32 + "]" * 32 + "}"
signed("nesting_over_bound", "3 nesting beyond 32 levels (documented bound)", deep_bad, "token_bad_payload")
signed("nesting_objects_over_bound", "3 nesting beyond 32 levels (documented bound)",
       '{"k":"u/a.png","m":"pub","x":' + '{"a":' * 32 + "1" + "}" * 32 + "}", "token_bad_payload")

# ---- Step 2: k ----

K = "3.2 k with its leading / stripped must equal the request key"
signed("k_missing", "3.2 k missing (documented choice: bad payload)", '{"m":"pub"}', "token_bad_payload",
       mode="pub")
signed("k_number", "3.2 k not a string (bad payload)", '{"k":1,"m":"pub"}', "token_bad_payload", mode="pub")
signed("k_null", "3.2 k not a string (bad payload)", '{"k":null,"m":"priv","e":1767226200}', "token_bad_payload",
       mode="priv")
signed("k_array", "3.2 k not a string (bad payload)", '{"k":["u/a.png"],"m":"pub"}', "token_bad_payload",
       mode="pub")
signed("k_object", "3.2 k not a string (bad payload)", '{"k":{"k":"u/a.png"},"m":"pub"}', "token_bad_payload",
       mode="pub")
signed("k_other_key", K, '{"k":"u/b.png","m":"pub"}', "token_key_mismatch", mode="pub")
signed("k_other_key_priv", K, '{"e":1767226200,"k":"u/b.png","m":"priv"}', "token_key_mismatch", mode="priv")
signed("k_case", K, '{"k":"U/a.png","m":"pub"}', "token_key_mismatch", mode="pub")
signed("k_prefix_of_key", K, '{"k":"u/a.pn","m":"pub"}', "token_key_mismatch", mode="pub")
signed("k_key_is_prefix", K, '{"k":"u/a.png.exe","m":"pub"}', "token_key_mismatch", mode="pub")
signed("k_trailing_slash", K, '{"k":"u/a.png/","m":"pub"}', "token_key_mismatch", mode="pub")
signed("k_leading_space", K, '{"k":" u/a.png","m":"pub"}', "token_key_mismatch", mode="pub")
signed("k_trailing_nul", K, r'{"k":"u/a.png\u0000","m":"pub"}', "token_key_mismatch", mode="pub")
signed("k_empty", K, '{"k":"","m":"pub"}', "token_key_mismatch", mode="pub")
signed("k_only_slashes", K, '{"k":"///","m":"pub"}', "token_key_mismatch", mode="pub")
signed("k_percent_encoded", K, '{"k":"u/caf%C3%A9.jpg","m":"pub"}', "token_key_mismatch", key="u/café.jpg",
       mode="pub")
signed("k_nfd_vs_request_nfc", "3.2 code point for code point: NFD k, NFC key",
       r'{"k":"u/cafe\u0301.jpg","m":"pub"}', "token_key_mismatch", key="u/caf\u00e9.jpg", mode="pub")
signed("k_nfc_vs_request_nfd", "3.2 code point for code point: NFC k, NFD key",
       r'{"k":"u/caf\u00e9.jpg","m":"pub"}', "token_key_mismatch", key="u/cafe\u0301.jpg", mode="pub")
signed("k_one_leading_slash", "3.2 k with its leading / stripped", '{"k":"/u/a.png","m":"pub"}', "serve_full",
       mode="pub")
signed("k_many_leading_slashes", "3.2 k with all leading / stripped (backend lstrip)",
       '{"k":"///u/a.png","m":"pub"}', "serve_full", mode="pub")
signed("k_escaped_slashes", "3.2 \\/ is an escaped /", r'{"k":"\/\/u\/a.png","m":"pub"}', "serve_full",
       mode="pub")
signed("k_inner_slashes_kept", K, '{"k":"u//a.png","m":"pub"}', "token_key_mismatch", mode="pub")
signed("k_nul_inside", "3 k is compared with its length, NUL included",
       r'{"k":"u/a\u0000b","m":"pub"}', "serve_full", key="u/a\x00b", mode="pub")

# ---- Step 2: m ----

M = "3.2 m other than pub/priv"
for label, m in [("upper", '"PUB"'), ("title", '"Pub"'), ("public", '"public"'), ("private", '"private"'),
                 ("empty", '""'), ("space", '"pub "'), ("nul", r'"pub\u0000"'), ("number", "1"),
                 ("true", "true"), ("null", "null"), ("array", '["pub"]'), ("object", '{"m":"pub"}')]:
    signed(f"m_{label}", M, '{"k":"u/a.png","m":' + m + "}", "token_bad_mode")
signed("m_missing", M, '{"k":"u/a.png"}', "token_bad_mode")
signed("m_missing_priv_fields", M, '{"e":1767226200,"k":"u/a.png"}', "token_bad_mode")
signed("m_escaped", "3 m is compared after unescaping", r'{"k":"u/a.png","m":"\u0070\u0075\u0062"}',
       "serve_full", mode="pub")

# ---- Step 2: private e ----

N = "3.2 private without an integer e"
for label, e in [("missing", None), ("string", '"1767226200"'), ("float", "1.5"), ("float_integral", "1767226200.0"),
                 ("exponent", "1e9"), ("exponent_integral", "1.7672262e9"), ("true", "true"), ("false", "false"),
                 ("null", "null"), ("array", "[1767226200]"), ("object", '{"e":1767226200}'),
                 ("int64_max_plus_1", str(INT64_MAX + 1)), ("uint64_max", str(2**64 - 1)), ("2_pow_64", str(2**64)),
                 ("int64_min_minus_1", str(INT64_MIN - 1)), ("huge", "1" + "0" * 40), ("negative_zero_float", "-0.0")]:
    body = '{"k":"u/a.png","m":"priv"}' if e is None else '{"e":' + e + ',"k":"u/a.png","m":"priv"}'
    signed(f"e_{label}", N, body, "token_no_expiry", mode="priv")
signed("e_negative_zero", "3.3 -0 is the integer 0: expired", '{"e":-0,"k":"u/a.png","m":"priv"}', "token_expired",
       mode="priv", exp=0)
signed("e_after_k_and_m", "3 member order does not matter", '{"m":"priv","k":"u/a.png","e":1767226200}',
       "serve_full", mode="priv", exp=E)

# Public tokens never expire: an e there is ignored like any unknown member.
I = "3 public: e ignored (the backend never sets it)"
signed("pub_e_past", I, '{"e":1,"k":"u/a.png","m":"pub"}', "serve_full", mode="pub")
signed("pub_e_string", I, '{"e":"soon","k":"u/a.png","m":"pub"}', "serve_full", mode="pub")
signed("pub_e_far_future", I, '{"e":99999999999999,"k":"u/a.png","m":"pub"}', "serve_full", mode="pub")
signed("pub_e_float", I, '{"e":1.5,"k":"u/a.png","m":"pub"}', "serve_full", mode="pub")

# ---- Mode reporting under denials ----

signed("mode_priv_key_mismatch", "3 mode reported once read: denial under a private token",
       '{"e":1767226200,"k":"u/b.png","m":"priv"}', "token_key_mismatch", mode="priv")
signed("mode_none_on_bad_json", "3 mode not reported when the payload does not parse",
       '{"k":"u/a.png","m":"priv","m":"priv"}', "token_bad_payload")

# ---- Put tokens (docs/UPLOADS.md, "The put token") ----

PE = E  # a put token's e in these rows; now = PE - 10 unless a row says otherwise


def minted_put(name, clause, key, ct, n=None, exp=PE, secret=SECRET, now=PE - 10, **kw):
    """A backend put token that must verify for a PUT of its key and that token_mint_put must reproduce."""
    token = mint_put_token(key, ct, exp, secret, n)
    assert len(token) <= MAX_TOKEN, name
    mint = {"key": key, "mode": "put", "ct": ct, "exp": exp, "secret": secret}
    if n is not None:
        mint["n"] = n
    row(name, clause, token, key.lstrip("/"), "serve_full", "put", now=now, exp=exp, mint=mint, write=True,
        ct=ct, n=n, **kw)


P = "uploads 1 a put token for a PUT of its key (backend json.dumps, sort_keys)"
for label, key in KEYS:
    if len(key.lstrip("/")) > 700:
        continue  # the long keys are the read rows' business
    minted_put(f"put_{label}", P, key, "image/png")
    minted_put(f"put_{label}_n", P, key, "video/mp4", n=104857600)
for label, ct in [("jpeg", "image/jpeg"), ("webm", "video/webm"), ("quicktime", "video/quicktime"),
                  ("avif", "image/avif"), ("heic", "image/heic"), ("unlisted", "text/html"),
                  ("plus", "image/svg+xml"), ("non_ascii", "image/pngé"), ("astral", "video/😀"),
                  ("quote_backslash", 'a/"b\\c'), ("ct_255", "a/" + "b" * 253),
                  ("ct_255_two_byte", "a/" + "é" * 126 + "b")]:
    minted_put(f"put_ct_{label}", "uploads 1 ct: any string of 1..255 bytes (the type list is the decision's)",
               "u/me_1/clip.bin", ct)
for label, n in [("1", 1), ("2_pow_31", 2**31), ("2_pow_53_minus_1", 2**53 - 1)]:
    minted_put(f"put_n_{label}", "uploads 1 n: a positive integer", "u/me_1/a.png", "image/png", n=n)
minted_put("put_previous_secret", "uploads 1 same secrets and rotation as reading", "u/me_1/a.png", "image/png",
           secret=PREVIOUS, secrets=(SECRET, PREVIOUS))

# The clock: e required, at most MEDIA_MAX_UPLOAD_TTL_SECONDS (+ leeway) ahead, expired after e + leeway.
EXP = "uploads 1 e: expired after e + leeway"
FAR = "uploads 1 e: refused beyond now + MEDIA_MAX_UPLOAD_TTL_SECONDS + leeway"
minted_put("put_clock_at_e_plus_leeway", EXP, "u/a.png", "image/png", now=PE + 60)
minted_put("put_clock_at_max_ttl", FAR, "u/a.png", "image/png", now=PE - 3660)
minted_put("put_clock_short_ttl_edge", FAR, "u/a.png", "image/png", now=PE - 360, max_upload_ttl=300)
minted_put("put_clock_long_ttl", FAR, "u/a.png", "image/png", now=PE - 86400, max_upload_ttl=86400)
PUT_A = mint_put_token("u/a.png", "image/png", PE, SECRET)
row("put_expired", EXP, PUT_A, "u/a.png", "token_expired", "put", now=PE + 61, exp=PE, write=True)
row("put_expired_long_ago", EXP, PUT_A, "u/a.png", "token_expired", "put", now=PE + 86400, exp=PE, write=True)
row("put_too_far", FAR, PUT_A, "u/a.png", "token_expiry_too_far", "put", now=PE - 3661, exp=PE, write=True)
row("put_too_far_short_ttl", FAR, PUT_A, "u/a.png", "token_expiry_too_far", "put", now=PE - 361, exp=PE,
    write=True, max_upload_ttl=300)
row("put_too_far_read_ttl_ignored", "uploads 1 the read TTL does not bound a put token", PUT_A, "u/a.png",
    "serve_full", "put", now=PE - 3000, exp=PE, write=True, max_ttl=60, ct="image/png")
row("put_key_mismatch", "uploads 1 k: as for reading", PUT_A, "u/b.png", "token_key_mismatch", "put", write=True)
row("put_bad_signature", "uploads 1 same HMAC", mint_put_token("u/a.png", "image/png", PE, "another secret"),
    "u/a.png", "token_bad_signature", write=True)

# Wrong mode, both ways: a put token never reads, a pub/priv token never writes.
W = "uploads 1 a put token never reads; pub and priv never write"
row("put_token_on_read", W, PUT_A, "u/a.png", "token_wrong_mode", "put")
row("put_token_on_read_expired", W, PUT_A, "u/a.png", "token_wrong_mode", "put", now=PE + 100000)
signed("put_token_on_read_bad_ct", W + " (mode first)", '{"ct":1,"e":1767226200,"k":"u/a.png","m":"put"}',
       "token_wrong_mode", mode="put")
row("pub_token_on_write", W, backend_mint("u/a.png", "pub"), "u/a.png", "token_wrong_mode", "pub", write=True)
row("priv_token_on_write", W, backend_mint("u/a.png", "priv", E), "u/a.png", "token_wrong_mode", "priv",
    write=True)
row("priv_token_on_write_expired", W, backend_mint("u/a.png", "priv", E), "u/a.png", "token_wrong_mode", "priv",
    now=E + 100000, write=True)
signed("put_mode_upper", "uploads 1 m is exactly \"put\"", '{"ct":"image/png","e":1767226200,"k":"u/a.png","m":"PUT"}',
       "token_bad_mode", write=True)

# ct and n: what the token allows, checked before e.
B = "uploads 1 ct: a string of 1..255 bytes; n: an integer >= 1 when present"
for label, ct in [("missing", None), ("number", "1"), ("null", "null"), ("true", "true"), ("array", '["image/png"]'),
                  ("object", '{"t":"image/png"}'), ("empty", '""'), ("256_bytes", json.dumps("a/" + "b" * 254))]:
    body = '{"e":1767226200,"k":"u/a.png","m":"put"}' if ct is None else \
        '{"ct":' + ct + ',"e":1767226200,"k":"u/a.png","m":"put"}'
    signed(f"put_ct_{label}", B, body, "token_bad_payload", mode="put", write=True)
for label, n in [("0", "0"), ("minus_1", "-1"), ("float", "1.5"), ("float_integral", "5.0"), ("exponent", "1e3"),
                 ("string", '"5"'), ("null", "null"), ("true", "true"), ("array", "[5]"),
                 ("int64_max_plus_1", str(INT64_MAX + 1)), ("negative_zero", "-0")]:
    signed(f"put_n_{label}", B, '{"ct":"image/png","e":1767226200,"k":"u/a.png","m":"put","n":' + n + "}",
           "token_bad_payload", mode="put", write=True)
signed("put_n_int64_max", B, '{"ct":"image/png","e":1767226200,"k":"u/a.png","m":"put","n":' + str(INT64_MAX) + "}",
       "serve_full", mode="put", write=True, exp=PE)
signed("put_bad_ct_before_no_e", B + " (before e)", '{"ct":"","k":"u/a.png","m":"put"}', "token_bad_payload",
       mode="put", write=True)
N_PUT = "uploads 1 e: required in a put token"
for label, e in [("missing", None), ("string", '"1767226200"'), ("float", "1.5"), ("null", "null")]:
    body = '{"ct":"image/png","k":"u/a.png","m":"put"}' if e is None else \
        '{"ct":"image/png","e":' + e + ',"k":"u/a.png","m":"put"}'
    signed(f"put_e_{label}", N_PUT, body, "token_no_expiry", mode="put", write=True)
signed("put_member_order", "uploads 1 member order does not matter",
       '{"m":"put","n":5,"k":"u/a.png","e":1767226200,"ct":"image/png","x":[1]}', "serve_full", mode="put",
       write=True, exp=PE, ct="image/png", n=5)

# ---- Mint refusals (token_mint returns 0; no token) are in test_token.cc: they need raw bytes. ----

rows.sort(key=lambda r: r["name"])
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "tokens.jsonl"), "w", encoding="utf-8", newline="\n") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")
print(f"wrote {len(rows)} rows to {os.path.join(here, 'tokens.jsonl')}")

"""Parse and render of wg-quick files (module_utils/wg_config.py)."""

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils.wg_config import (
    WG_KEYS,
    ConfigError,
    parse,
    redact_text,
    render,
    strip,
)

# The example of wg(8)'s CONFIGURATION FILE FORMAT section.
MAN_PAGE = """\
[Interface]
PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=
ListenPort = 51820

[Peer]
PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=
Endpoint = 192.95.5.67:1234
AllowedIPs = 10.192.122.3/32, 10.192.124.1/24

[Peer]
PublicKey = TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=
Endpoint = [2607:5300:60:6b0::c05f:543]:2468
AllowedIPs = 10.192.122.4/32, 192.168.0.0/16

[Peer]
PublicKey = gN65BkIKy1eCE9pP1wdc8ROUtkHLF2PfAqYdyYBz6EA=
Endpoint = test.wireguard.com:18981
AllowedIPs = 10.10.10.230/32
"""
PRIVATE_KEY = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
PSK = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="
PEER_1 = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
PEER_2 = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="

# The seed's hub (VPS 1): the private key comes from a PostUp hook.
POST_UP_NAT = ("iptables -A FORWARD -i wg0 -j ACCEPT; iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE; "
               "ip6tables -A FORWARD -i wg0 -j ACCEPT; ip6tables -t nat -A POSTROUTING -o eth0 -j MASQUERADE")
POST_DOWN_NAT = ("iptables -D FORWARD -i wg0 -j ACCEPT; iptables -t nat -D POSTROUTING -o eth0 -j MASQUERADE; "
                 "ip6tables -D FORWARD -i wg0 -j ACCEPT; ip6tables -t nat -D POSTROUTING -o eth0 -j MASQUERADE")
POST_UP_KEY = "wg set %i private-key <(cat /etc/wireguard/privatekey)"
SEED_HUB = """\
[Interface]
Address = 10.10.0.1/24
Address = fd86:ea04:1111::1/64
ListenPort = 51820

PostUp = {up}
PostDown = {down}
PostUp = {key}

[Peer]
# terminal 2
PublicKey = {p1}
AllowedIPs = 10.10.0.2/32, fd86:ea04:1111::2/128
PersistentKeepAlive = 25

[Peer]
# VPS 3
PublicKey = {p2}
PresharedKey = {psk}
Endpoint = 203.0.113.3:51820
AllowedIPs = 10.10.0.3/32, fd86:ea04:1111::3/128
""".format(up=POST_UP_NAT, down=POST_DOWN_NAT, key=POST_UP_KEY, p1=PEER_1, p2=PEER_2, psk=PSK)


@pytest.mark.parametrize("text", [MAN_PAGE, SEED_HUB], ids=["man-page", "seed-hub"])
def test_parse_render_parse_round_trip(text):
    config = parse(text)
    assert parse(render(config)) == config


def test_man_page_example_is_read_as_written():
    config = parse(MAN_PAGE)
    assert config.interface.as_dict() == {"PrivateKey": PRIVATE_KEY, "ListenPort": "51820"}
    assert [p.as_dict() for p in config.peers] == [
        {"PublicKey": PEER_1, "Endpoint": "192.95.5.67:1234",
         "AllowedIPs": ["10.192.122.3/32", "10.192.124.1/24"]},
        {"PublicKey": PEER_2, "Endpoint": "[2607:5300:60:6b0::c05f:543]:2468",
         "AllowedIPs": ["10.192.122.4/32", "192.168.0.0/16"]},
        {"PublicKey": "gN65BkIKy1eCE9pP1wdc8ROUtkHLF2PfAqYdyYBz6EA=", "Endpoint": "test.wireguard.com:18981",
         "AllowedIPs": ["10.10.10.230/32"]},
    ]


def test_render_of_man_page_example_keeps_every_line():
    rendered = render(parse(MAN_PAGE)).splitlines()
    for line in MAN_PAGE.splitlines():
        assert line in rendered


def test_seed_hub_hooks_and_addresses():
    config = parse(SEED_HUB)
    assert config.interface.get("Address") == ["10.10.0.1/24", "fd86:ea04:1111::1/64"]
    assert config.interface.get("PostUp") == [POST_UP_NAT, POST_UP_KEY]
    assert config.interface.get("PostDown") == [POST_DOWN_NAT]
    assert config.peer(PEER_1).get("PersistentKeepalive") == "25"
    rendered = render(config)
    assert "PostUp = %s\n" % POST_UP_KEY in rendered
    assert "Address = 10.10.0.1/24, fd86:ea04:1111::1/64\n" in rendered


@pytest.mark.parametrize("text, section, key, expected", [
    ("[interface]\nprivatekey = %s\n" % PRIVATE_KEY, "interface", "PrivateKey", PRIVATE_KEY),
    ("[INTERFACE]\nLISTENPORT = 51820\n", "interface", "ListenPort", "51820"),
    ("[peer]\npublickey = %s\npersistentkeepalive = 25\n" % PEER_1, "peer", "PersistentKeepalive", "25"),
    ("[Peer]\nPublicKey = %s\nPersistentKeepAlive = 25\n" % PEER_1, "peer", "PersistentKeepalive", "25"),
    ("[ Peer ]\nPublicKey = %s\nallowedips = 10.0.0.2/32\n" % PEER_1, "peer", "AllowedIPs", ["10.0.0.2/32"]),
], ids=["lower-interface", "upper-interface", "lower-peer", "seed-PersistentKeepAlive", "spaced-section"])
def test_names_are_case_insensitive(text, section, key, expected):
    config = parse(text)
    target = config.interface if section == "interface" else config.peers[0]
    assert target.get(key) == expected
    # rendered under the canonical spelling
    assert key in target.keys()
    assert "%s = " % key in render(config)


@pytest.mark.parametrize("text, key, expected", [
    ("# whole line\n[Interface]\nListenPort = 51820\n", "ListenPort", "51820"),
    ("[Interface] # the interface\nListenPort = 51820\n", "ListenPort", "51820"),
    ("[Interface]\nListenPort = 51820 # the port\n", "ListenPort", "51820"),
    ("[Interface]\nListenPort = 51820#no space\n", "ListenPort", "51820"),
    ("[Interface]\nAddress = 10.0.0.1/24 # v4\n   # indented comment\n", "Address", ["10.0.0.1/24"]),
], ids=["whole-line", "after-section", "after-value", "no-space", "after-list"])
def test_comments_anywhere(text, key, expected):
    assert parse(text).interface.get(key) == expected


@pytest.mark.parametrize("text, section, key, expected", [
    ("[Peer]\nPublicKey = %s\nAllowedIPs = 10.0.0.2/32\nAllowedIPs = 10.0.1.0/24, fd00::/64\n" % PEER_1,
     "peer", "AllowedIPs", ["10.0.0.2/32", "10.0.1.0/24", "fd00::/64"]),
    ("[Interface]\nAddress = 10.10.0.1/24\nAddress = fd86:ea04:1111::1/64\n",
     "interface", "Address", ["10.10.0.1/24", "fd86:ea04:1111::1/64"]),
    ("[Interface]\nDNS = 1.1.1.1\nDNS = 9.9.9.9\n", "interface", "DNS", ["1.1.1.1", "9.9.9.9"]),
    ("[Interface]\nListenPort = 51820\nListenPort = 51821\n", "interface", "ListenPort", "51821"),
    ("[Interface]\nMTU = 1420\nmtu = 1380\n", "interface", "MTU", "1380"),
    ("[Peer]\nPublicKey = %s\nEndpoint = 192.0.2.1:51820\nEndpoint = 192.0.2.2:51820\n" % PEER_1,
     "peer", "Endpoint", "192.0.2.2:51820"),
    ("[Interface]\nPostUp = ip rule add  table 200\nPostUp = ip route add default dev %i table 200\n",
     "interface", "PostUp", ["ip rule add  table 200", "ip route add default dev %i table 200"]),
], ids=["allowedips-accumulate", "address-accumulate", "dns-accumulate", "listenport-last-wins",
        "mtu-last-wins", "endpoint-last-wins", "postup-accumulate-keeps-spaces"])
def test_repeated_keys(text, section, key, expected):
    config = parse(text)
    target = config.interface if section == "interface" else config.peers[0]
    assert target.get(key) == expected


def test_hooks_render_one_line_each():
    text = "[Interface]\nPostUp = echo one  two\nPostUp = echo three\n"
    assert render(parse(text)) == text


def test_unknown_keys_are_kept_verbatim():
    text = "[Interface]\nListenPort = 51820\nFutureKey = some  value, with spaces\n"
    config = parse(text)
    assert config.interface.get("FutureKey") == "some  value, with spaces"
    assert render(config) == text


@pytest.mark.parametrize("line, key, expected", [
    ("AllowedIPs = 10.0.0.1/32 , 10.0.0.2/32", "AllowedIPs", ["10.0.0.1/32", "10.0.0.2/32"]),
    ("Endpoint = 192.0.2.1 : 51820", "Endpoint", "192.0.2.1:51820"),
    ("PersistentKeepalive =  2 5 ", "PersistentKeepalive", "25"),
], ids=["allowedips", "endpoint", "keepalive"])
def test_wg_values_drop_inner_whitespace(line, key, expected):
    config = parse("[Peer]\nPublicKey = %s\n%s\n" % (PEER_1, line))
    assert config.peers[0].get(key) == expected


@pytest.mark.parametrize("text, lineno, words", [
    ("[Interface]\nListenPort = 51820\n[Bogus]\n", 3, "unknown section"),
    ("[Interface]\n\nListenPort 51820\n", 3, "Key = Value"),
    ("# header\nListenPort = 51820\n[Interface]\n", 2, "before any"),
    ("[Interface]\n[Peer]\nPublicKey = %s\n[Interface]\n" % PEER_1, 4, "second [Interface]"),
], ids=["unknown-section", "no-equals", "key-before-section", "second-interface"])
def test_errors_name_the_line(text, lineno, words):
    with pytest.raises(ConfigError) as exc:
        parse(text)
    assert exc.value.lineno == lineno
    assert "line %d:" % lineno in str(exc.value)
    assert words in str(exc.value)


def test_peer_without_public_key_is_an_error():
    with pytest.raises(ConfigError, match="without PublicKey"):
        parse("[Interface]\nListenPort = 51820\n[Peer]\nAllowedIPs = 10.0.0.2/32\n")


def test_render_redacted_hides_secrets():
    text = MAN_PAGE.replace("Endpoint = 192.95.5.67:1234", "PresharedKey = %s\nEndpoint = 192.95.5.67:1234" % PSK)
    config = parse(text)
    redacted = render(config, redact=True)
    assert PRIVATE_KEY not in redacted
    assert PSK not in redacted
    assert "PrivateKey = (redacted)" in redacted
    assert "PresharedKey = (redacted)" in redacted
    assert PEER_1 in redacted  # public keys stay
    # redacting renders a copy: the model still holds the secret
    assert config.interface.get("PrivateKey") == PRIVATE_KEY


@pytest.mark.parametrize("raw, expected", [
    ("PrivateKey = %s\n" % PRIVATE_KEY, "PrivateKey = (redacted)\n"),
    ("privatekey=%s\n" % PRIVATE_KEY, "PrivateKey = (redacted)\n"),
    ("  PresharedKey = %s\n" % PSK, "PresharedKey = (redacted)\n"),
    ("PublicKey = %s\n" % PEER_1, "PublicKey = %s\n" % PEER_1),
    ("a line that does not parse\n", "a line that does not parse\n"),
], ids=["private", "lower-no-spaces", "preshared-indented", "public-kept", "garbage-kept"])
def test_redact_text_line(raw, expected):
    assert redact_text(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("PrivateKey: %s\n", "PrivateKey = (redacted)\n"),
    ("Private Key = %s\n", "PrivateKey = (redacted)\n"),
    ("private_key=%s\n", "PrivateKey = (redacted)\n"),
    ("  PRIVATE-KEY   :   %s\r\n", "PrivateKey = (redacted)\r\n"),
    ("PrivateKey %s\n", "PrivateKey = (redacted)\n"),
    ("#PrivateKey=%s\n", "PrivateKey = (redacted)\n"),
    ("; private key: %s", "PrivateKey = (redacted)"),
    ("PresharedKey: %s\n", "PresharedKey = (redacted)\n"),
    ("Preshared Key = %s\n", "PresharedKey = (redacted)\n"),
    ("preshared_key %s\n", "PresharedKey = (redacted)\n"),
    ("PSK = %s\n", "PresharedKey = (redacted)\n"),
    ("%s\n", "(redacted)\n"),
    ("PostUp = echo %s | wg set %%i private-key /dev/stdin\n", "PostUp = echo (redacted) | wg set %i private-key /dev/stdin\n"),
    ("PostUp = wg set %%i peer X preshared-key <(echo %s)\n", "PostUp = wg set %i peer X preshared-key <(echo (redacted))\n"),
], ids=["colon", "two-words", "underscore", "caps-dash-crlf", "no-separator", "commented", "ini-comment-no-newline",
        "psk-colon", "psk-two-words", "psk-underscore-no-separator", "psk-abbreviated", "key-alone",
        "hook-private", "hook-preshared"])
@pytest.mark.parametrize("secret", [PRIVATE_KEY, PSK], ids=["private", "psk"])
def test_redact_text_malformed_line(raw, expected, secret):
    """A hand-edited file may spell a secret's line any way wg would refuse:
    the diff still must not show the key."""
    assert redact_text(raw % secret) == expected


def test_redact_text_keeps_lines_that_hold_no_secret():
    text = ("PostUp = wg set %%i private-key /etc/wireguard/wg0.key\nPublicKey: %s\n"
            "# private network of the office\nEndpoint = [2001:db8::1]:51820\n" % PEER_1)
    assert redact_text(text) == text


def test_redact_text_on_whole_file_that_does_not_parse():
    text = "[Interface]\nPrivateKey = %s\nnot a key value line\n[Peer]\nPresharedKey = %s\n" % (PRIVATE_KEY, PSK)
    redacted = redact_text(text)
    assert PRIVATE_KEY not in redacted and PSK not in redacted
    assert "not a key value line\n" in redacted
    assert len(redacted.splitlines()) == len(text.splitlines())


def test_strip_keeps_only_wg_keys():
    stripped = strip(parse(SEED_HUB))
    assert stripped.interface.as_dict() == {"ListenPort": "51820"}
    assert stripped.peers[0].as_dict() == {
        "PublicKey": PEER_1, "AllowedIPs": ["10.10.0.2/32", "fd86:ea04:1111::2/128"], "PersistentKeepalive": "25"}
    assert stripped.peers[1].as_dict() == {
        "PublicKey": PEER_2, "PresharedKey": PSK, "Endpoint": "203.0.113.3:51820",
        "AllowedIPs": ["10.10.0.3/32", "fd86:ea04:1111::3/128"]}
    for section in [stripped.interface] + stripped.peers:
        assert set(section.keys()) <= WG_KEYS


def test_strip_of_wg_only_file_changes_nothing():
    config = parse(MAN_PAGE)
    assert strip(config) == config

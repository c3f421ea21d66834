"""The networkmanager backend's keyfile (module_utils/nm_keyfile.py)."""

import configparser

from ansible_collections.fleetnet.wireguard.plugins.module_utils import nm_keyfile
from ansible_collections.fleetnet.wireguard.plugins.module_utils.wg_config import parse

PRIVATE = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
PSK = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="
HUB = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
PEER = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="

SPOKE = """\
[Interface]
PrivateKey = %s
Address = 10.50.0.3/24, fd50::3/64
ListenPort = 51820

[Peer]
PublicKey = %s
PresharedKey = %s
Endpoint = 192.0.2.1:51820
AllowedIPs = 10.50.0.0/24, fd50::/64
PersistentKeepalive = 25

[Peer]
PublicKey = %s
AllowedIPs = 10.50.0.9/32
""" % (PRIVATE, HUB, PSK, PEER)


def keyfile(text):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


def spoke(text=SPOKE):
    """The config as nm_apply hands it over: keys inline."""
    return parse(text)


def test_every_peer_setting_lands_in_its_section():
    kf = keyfile(nm_keyfile.render("wg0", spoke()))
    assert kf["connection"]["type"] == "wireguard"
    assert kf["connection"]["autoconnect"] == "true"
    assert kf["connection"]["id"] == kf["connection"]["interface-name"] == "wg0"
    assert kf["wireguard"]["private-key"] == PRIVATE
    assert kf["wireguard"]["listen-port"] == "51820"
    hub = kf["wireguard-peer.%s" % HUB]
    assert hub["endpoint"] == "192.0.2.1:51820"
    assert hub["preshared-key"] == PSK
    assert hub["persistent-keepalive"] == "25"
    assert hub["allowed-ips"] == "10.50.0.0/24;fd50::/64;"
    other = kf["wireguard-peer.%s" % PEER]
    assert "preshared-key" not in other and "endpoint" not in other
    assert kf["ipv4"]["address1"] == "10.50.0.3/24"
    assert kf["ipv6"]["address1"] == "fd50::3/64"
    assert kf["ipv4"]["never-default"] == "true"


def test_same_interface_same_connection_uuid():
    assert nm_keyfile.connection_uuid("wg0") == nm_keyfile.connection_uuid("wg0")
    assert nm_keyfile.connection_uuid("wg0") != nm_keyfile.connection_uuid("wg1")


def test_redacted_text_holds_no_secret():
    text = nm_keyfile.redact_text(nm_keyfile.render("wg0", spoke()))
    assert PRIVATE not in text and PSK not in text
    assert text.count(nm_keyfile.REDACTED) == 2
    assert HUB in text and PEER in text  # public keys stay: they name the peers


def test_no_ipv6_address_disables_ipv6():
    kf = keyfile(nm_keyfile.render("wg0", spoke(SPOKE.replace(", fd50::3/64", ""))))
    assert kf["ipv6"]["method"] == "disabled"


def test_ours_by_file_name_and_uuid():
    text = nm_keyfile.render("wg0", spoke())
    assert nm_keyfile.is_ours("wg0", text)
    assert not nm_keyfile.is_ours("wg1", text)
    assert not nm_keyfile.is_ours("wg0", text.replace(nm_keyfile.connection_uuid("wg0"), "0b1e6b4e-1111-4c2a-9d7e-0c9d2b1f7a11"))
    assert not nm_keyfile.is_ours("wg0", None)
    assert nm_keyfile.interface_of("fleetnet-wg0.nmconnection") == "wg0"
    assert nm_keyfile.interface_of("wg0.nmconnection") is None
    assert nm_keyfile.interface_of("fleetnet-.nmconnection") is None
    assert nm_keyfile.path("wg0", "/x") == "/x/fleetnet-wg0.nmconnection"


def test_mtu_is_read_back():
    assert nm_keyfile.mtu_of(nm_keyfile.render("wg0", spoke())) is None
    assert nm_keyfile.mtu_of(nm_keyfile.render("wg0", spoke(SPOKE.replace("ListenPort", "MTU = 1380\nListenPort")))) == "1380"


def test_peers_and_allowed_ips_read_back_from_the_keyfile():
    text = nm_keyfile.render("wg0", spoke())
    assert nm_keyfile.peer_keys(text) == [HUB, PEER]
    assert nm_keyfile.allowed_ips(text) == ["10.50.0.0/24", "fd50::/64", "10.50.0.9/32"]


def test_only_peers_private_key_and_listen_port_go_on_live():
    old = nm_keyfile.render("wg0", spoke())
    live = SPOKE.replace("PersistentKeepalive = 25", "PersistentKeepalive = 15").replace("ListenPort = 51820", "ListenPort = 51821")
    live = live.replace(PRIVATE, "ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICA=").replace("AllowedIPs = 10.50.0.9/32", "AllowedIPs = 10.50.0.9/32, 10.60.0.0/16")
    assert nm_keyfile.reapply_reason(old, nm_keyfile.render("wg0", spoke(live))) is None
    without_peer = SPOKE[:SPOKE.rindex("[Peer]")]
    assert nm_keyfile.reapply_reason(old, nm_keyfile.render("wg0", spoke(without_peer))) is None
    assert nm_keyfile.reapply_reason(old, old) is None


def test_addresses_dns_fwmark_and_a_default_route_need_networkmanager():
    old = nm_keyfile.render("wg0", spoke())

    def reason(text):
        return nm_keyfile.reapply_reason(old, nm_keyfile.render("wg0", spoke(text)))

    assert reason(SPOKE.replace("10.50.0.3/24", "10.50.0.4/24")) == "its [ipv4] settings changed"
    assert reason(SPOKE.replace("ListenPort = 51820", "ListenPort = 51820\nDNS = 10.50.0.1")) == "its [ipv4] settings changed"
    assert reason(SPOKE.replace("ListenPort = 51820", "ListenPort = 51820\nFwMark = 51820")) == "its [wireguard] settings changed"
    assert reason(SPOKE.replace("AllowedIPs = 10.50.0.9/32", "AllowedIPs = 0.0.0.0/0")) == (
        "a default route (/0) in allowed IPs appeared or went away")

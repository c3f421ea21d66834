"""Answer every TCP connection on port 8080 with the client's address."""
import socket

server = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("::", 8080))
server.listen(16)
while True:
    conn, addr = server.accept()
    host = addr[0][7:] if addr[0].startswith("::ffff:") else addr[0]
    conn.sendall((host + "\n").encode())
    conn.close()

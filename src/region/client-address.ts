import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { ipv6Groups, mappedIPv4 } from "./ip-address.js";
import type proxyaddrType from "proxy-addr";
import { requireCjs } from "../require-cjs.js";

const proxyaddr = requireCjs("proxy-addr") as typeof proxyaddrType;

/** The `trust proxy` vocabulary of Express and proxy-addr. */
export type TrustProxy =
  | boolean
  | number
  | string
  | readonly string[]
  | ((address: string, hop: number) => boolean);

export type TrustFunction = (address: string, hop: number) => boolean;

/** Compiles `trustProxy` the way Express compiles its `trust proxy` setting. Throws on a bad CIDR or name. */
export function compileTrust(value: TrustProxy | undefined): TrustFunction {
  if (value === undefined || value === false) return () => false;
  if (value === true) return () => true;
  if (typeof value === "function") return value;
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 0) throw new TypeError(`trustProxy: a hop count must be a whole number >= 0, got ${value}`);
    return (_address, hop) => hop < value;
  }
  if (typeof value !== "string" && !(Array.isArray(value) && value.every((v) => typeof v === "string"))) {
    throw new TypeError(`trustProxy: expected true, a hop count, "loopback", a CIDR list or a function, got ${JSON.stringify(value)}`);
  }
  const list = typeof value === "string" ? value.split(",").map((s) => s.trim()).filter(Boolean) : [...value];
  try {
    return proxyaddr.compile(list);
  } catch (error) {
    throw new TypeError(`trustProxy: ${(error as Error).message}`);
  }
}

export interface ClientAddress {
  /** A valid IP address, IPv4-mapped IPv6 turned into IPv4; null when none could be found. */
  readonly address: string | null;
  /** Whether the immediate peer is a trusted proxy (CDN headers are believed only then). */
  readonly peerTrusted: boolean;
  readonly reason?: string;
}

/**
 * `::ffff:1.2.3.4` is how a dual-stack socket reports an IPv4 peer; databases index it as IPv4. A zone id
 * (`fe80::1%eth0`) names an interface of this host and says nothing about where the reader is.
 */
export function normalizeAddress(address: string): string {
  const zone = address.indexOf("%");
  if (zone !== -1 && address.includes(":")) address = address.slice(0, zone);
  if (address.length > 7 && address.slice(0, 7).toLowerCase() === "::ffff:") {
    const tail = address.slice(7);
    if (isIP(tail) === 4) return tail;
    // The hex spelling, ::ffff:5bcf:390a, is the same IPv4 address.
    const groups = ipv6Groups(address);
    const mapped = groups && mappedIPv4(groups);
    if (mapped) return mapped;
  }
  return address;
}

export function clientAddress(req: IncomingMessage, trust: TrustFunction): ClientAddress {
  const peer = req.socket.remoteAddress;
  if (!peer) return { address: null, peerTrusted: false, reason: "no peer address" };
  const peerTrusted = trust(normalizeAddress(peer), 0);
  let address: string;
  try {
    address = proxyaddr(req, (addr, hop) => trust(normalizeAddress(addr), hop));
  } catch {
    return { address: normalizeAddress(peer), peerTrusted, reason: "unreadable X-Forwarded-For ignored" };
  }
  address = normalizeAddress(address.trim());
  if (isIP(address) === 0) {
    // A trusted proxy passed on garbage: fall back to the peer rather than guess.
    return { address: normalizeAddress(peer), peerTrusted, reason: "malformed X-Forwarded-For ignored" };
  }
  if (peerTrusted && address === normalizeAddress(peer)) {
    // proxy-addr skips empty entries; a trusted proxy that sent only those passed on nothing usable.
    const xff = req.headers["x-forwarded-for"];
    if (typeof xff === "string" && xff.trim() !== "" && !/[^\s,]/.test(xff)) return { address, peerTrusted, reason: "X-Forwarded-For without addresses ignored" };
  }
  return { address, peerTrusted };
}

// Types of faultline-launcher (index.js).

/** What the ready line says about where the server is. */
export interface Endpoints {
  /** The first TLS listener's origin. */
  https?: string
  /** The first cleartext listener's origin. */
  http?: string
  /** The admin API's origin. */
  admin: string
  /** PEM file of the CA clients must trust. */
  ca?: string
  pid: number
  scenario?: string
}

/** The ready line faultline-server prints once it listens. */
export interface ReadyLine extends Endpoints {
  event: 'ready'
  listeners?: Record<string, string>
  [field: string]: unknown
}

export interface StartOptions {
  /** --scenario: a built-in scenario's name or a file. */
  scenario?: string
  /** Further arguments, appended as given. */
  args?: string[]
  /** The binary; default: defaultServerPath(). */
  serverPath?: string
  /** How long the server may take to print its ready line (20000). */
  readyTimeoutMs?: number
  /** How long it may take to exit after SIGTERM before SIGKILL (5000). */
  stopTimeoutMs?: number
  /** Timeout of one admin API call (5000). */
  adminTimeoutMs?: number
  /** Extra environment for the server. */
  env?: Record<string, string>
  /** Admin token, passed as FAULTLINE_ADMIN_TOKEN and sent with every admin call. */
  adminToken?: string
}

export interface StopResult {
  ok: boolean
  code: number | null
  signal: string | null
  killed: boolean
  stderr: string
}

/** A started server. Admin methods resolve to the parsed JSON answer and reject with an
 * AdminError on a non-2xx answer. */
export interface Server extends Endpoints {
  /** Listener name -> origin. */
  listeners: Record<string, string>
  ready: ReadyLine
  /** The captured stderr (its most recent 64 KiB). */
  stderr(): string
  health(): Promise<any>
  getScenario(): Promise<any>
  putScenario(scenario: object | string): Promise<any>
  reset(): Promise<any>
  stats(): Promise<any>
  connections(): Promise<any>
  connection(id: number | string): Promise<any>
  timeline(id: number | string): Promise<any>
  /** {id, served}: how many times the server served this x-faultline-request-id. */
  request(id: string): Promise<{ id: string, served: number }>
  gates(): Promise<any>
  release(gate: string, count?: number): Promise<{ released: number }>
  call(method: string, urlPath: string, body?: object | string): Promise<any>
  /** A view of namespace `name` (created by the server on its first request); its
   * requests use `options.scenario` (a built-in or loaded scenario's name) when given. */
  namespace(name: string, options?: NamespaceOptions): Namespace
  /** True for a server attach()ed to: another process owns it. */
  attached: boolean
  /** SIGTERM, then SIGKILL after stopTimeoutMs. Idempotent. An attached server keeps
   * running (resolves ok). */
  stop(): Promise<StopResult>
}

export interface NamespaceOptions {
  /** The scenario the namespace's requests choose (/s/<scenario>/ in its URLs). */
  scenario?: string
}

/** One namespace of a shared server (docs/admin-api.md, "Namespaces"). Its URLs carry
 * /n/<name>/ (and /s/<scenario>/); its admin calls see only its own counters, gates and
 * connections. */
export interface Namespace {
  server: Server
  name: string
  scenario?: string
  /** "/n/<name>" or "/n/<name>/s/<scenario>". */
  prefix: string
  /** The same choice as request headers (x-faultline-namespace, x-faultline-scenario). */
  headers: Record<string, string>
  /** The server's https origin + prefix. */
  https?: string
  /** The server's http origin + prefix. */
  http?: string
  /** Listener name -> origin + prefix. */
  listeners: Record<string, string>
  ca?: string
  /** The URL of `urlPath` in this namespace, on `listener` or else https (or http). */
  url(urlPath: string, listener?: string): string
  stats(): Promise<any>
  reset(): Promise<any>
  connections(): Promise<any>
  request(id: string): Promise<{ id: string, namespace: string, served: number }>
  gates(): Promise<any>
  release(gate: string, count?: number): Promise<{ released: number }>
  /** Applies one action (what a fault's "do" holds) to the namespace's open connections. */
  action(action: object): Promise<{ applied: number }>
}

export interface AttachOptions {
  /** Timeout of one admin API call (5000). */
  adminTimeoutMs?: number
  /** Bearer token for the admin API; default: FAULTLINE_ADMIN_TOKEN. */
  adminToken?: string
}

/** Starts the server; resolves once its ready line is read. */
export function start(options?: StartOptions): Promise<Server>
/** A server another process started, from its ready line (object or JSON text). */
export function attach(ready: ReadyLine | string, options?: AttachOptions): Server
/** attach() to the server in FAULTLINE_READY (set by faultline-shared), or null. */
export function fromEnv(options?: AttachOptions): Server | null
export const NAMESPACE_HEADER: 'x-faultline-namespace'
export const SCENARIO_HEADER: 'x-faultline-scenario'
export const READY_ENV: 'FAULTLINE_READY'
/** Parses and checks a ready line; throws naming what is wrong. */
export function parseReadyLine(line: string): ReadyLine
/** FAULTLINE_SERVER, else a checkout's build, else faultline-server on PATH. */
export function defaultServerPath(): string

export class AdminError extends Error {
  status: number
  body: unknown
  /** The JSON path of the field at fault, '' when none. */
  path: string
}

export class LaunchError extends Error {
  stderr: string
}

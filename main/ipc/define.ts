/**
 * How a feature declares what the renderer may ask of it, once: its methods
 * (an input schema, an output type and the handler that answers) and its
 * events (a payload type and where they come from). The dispatcher, the
 * Electron IPC transport, the WebSocket bridge, the preload's list of event
 * names and the renderer's typed `call`/`on` are all derived from these
 * declarations (main/ipc/contract.ts lists the services), in the spirit of
 * VS Code's ProxyChannel.
 *
 * A service module imports at run time only zod and this file: the build
 * loads the contract to learn the event names the preload allows
 * (scripts/build.mjs), and refuses any other package. Services, stores and
 * the host are reached through the handler's context.
 */
import type { z } from 'zod'
import type { ServiceContext } from './context.js'

/** Carries a type through a value: the output of a method, the payload of an event. */
export interface Shape<T> {
  readonly __shape?: T
}

/** `returns<T>()`: the output type of a method (plain JSON: it crosses a process boundary). */
export function returns<T>(): Shape<T> {
  return {}
}

export type Unsubscribe = () => void

export interface MethodDef<I extends z.ZodType, O> {
  /** Checked before the handler runs; a call whose input does not match never reaches it. */
  readonly input: I
  readonly output: Shape<O>
  // Method syntax (not a function property) keeps a specific handler assignable to AnyMethod.
  handle(ctx: ServiceContext, input: z.output<I>): NoInfer<O> | Promise<NoInfer<O>>
}

export interface EventDef<P> {
  readonly payload: Shape<P>
  /** Subscribe to the event's source for one connected renderer; returns how to stop. */
  subscribe(ctx: ServiceContext, emit: (payload: P) => void): Unsubscribe
}

export function method<I extends z.ZodType, O>(def: MethodDef<I, O>): MethodDef<I, O> {
  return def
}

export function event<P>(subscribe: EventDef<P>['subscribe']): EventDef<P> {
  return { payload: {}, subscribe }
}

export type AnyMethod = MethodDef<z.ZodType, unknown>
export type AnyEvent = EventDef<unknown>

export interface ServiceDef<
  M extends Record<string, AnyMethod> = Record<string, AnyMethod>,
  E extends Record<string, AnyEvent> = Record<string, AnyEvent>,
> {
  readonly methods: M
  readonly events: E
}

/** One feature's part of the contract. Its methods and events are named `<service>.<name>`. */
export function defineService<
  const M extends Record<string, AnyMethod>,
  const E extends Record<string, AnyEvent>,
>(def: { methods: M; events: E }): ServiceDef<M, E> {
  return def
}

/** The whole contract: service name → service. Service names have no dots. */
export type ContractDef = Record<string, ServiceDef>

type Name<T> = keyof T & string

/** `mail.search`, `backup.status`, … */
export type MethodNameOf<C extends ContractDef> = {
  [S in Name<C>]: `${S}.${Name<C[S]['methods']>}`
}[Name<C>]

export type EventNameOf<C extends ContractDef> = {
  [S in Name<C>]: `${S}.${Name<C[S]['events']>}`
}[Name<C>]

type MethodAt<C extends ContractDef, N extends string> = N extends `${infer S}.${infer M}`
  ? S extends Name<C>
    ? M extends Name<C[S]['methods']>
      ? C[S]['methods'][M]
      : never
    : never
  : never

type EventAt<C extends ContractDef, N extends string> = N extends `${infer S}.${infer E}`
  ? S extends Name<C>
    ? E extends Name<C[S]['events']>
      ? C[S]['events'][E]
      : never
    : never
  : never

export type MethodInputOf<C extends ContractDef, N extends MethodNameOf<C>> =
  MethodAt<C, N> extends MethodDef<infer I, unknown> ? z.input<I> : never

export type MethodOutputOf<C extends ContractDef, N extends MethodNameOf<C>> =
  MethodAt<C, N> extends { output: Shape<infer O> } ? O : never

export type EventPayloadOf<C extends ContractDef, N extends EventNameOf<C>> =
  EventAt<C, N> extends { payload: Shape<infer P> } ? P : never

/** Every method of a contract under its full name (a Map, so no name can reach Object.prototype). */
export function methodTable(contract: ContractDef): Map<string, AnyMethod> {
  const table = new Map<string, AnyMethod>()
  for (const [service, def] of Object.entries(contract)) {
    for (const [name, m] of Object.entries(def.methods)) table.set(`${service}.${name}`, m)
  }
  return table
}

/** Every event of a contract under its full name. */
export function eventTable(contract: ContractDef): Map<string, AnyEvent> {
  const table = new Map<string, AnyEvent>()
  for (const [service, def] of Object.entries(contract)) {
    for (const [name, e] of Object.entries(def.events)) table.set(`${service}.${name}`, e)
  }
  return table
}

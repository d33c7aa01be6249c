import { randomUUID } from 'node:crypto';
import { ValidationError } from '@pmsbridge/core';
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import {
  conditionalUrl,
  identifierToken,
  identityKey,
  type BusinessIdentity,
} from './business-identity.js';

/** Searches the server: resource type, search parameters, signal → searchset Bundle. */
export type Search = (
  resourceType: string,
  params: Record<string, string>,
  signal: AbortSignal,
) => Promise<Bundle>;

/** One planned write, as planned for client-assigned ids (`PUT`/`DELETE <type>/<our id>`). */
export interface IdentifiedEntry {
  identity: BusinessIdentity;
  entry: BundleEntry;
  /** The entry already addresses the server's id (a resource read back from the server). */
  isServerAddressed?: boolean;
}

/** A transaction Bundle for a server that assigns ids, and how it lines up with its input. */
export interface ServerIdBundle {
  bundle: Bundle;
  /** Per input entry, the index of the Bundle entry that carries it; undefined when nothing is sent (deleting what is not there). */
  positions: Array<number | undefined>;
  /** Per Bundle entry, the identity it writes. */
  identities: BusinessIdentity[];
}

/** Identifier values per search request; keeps URLs well under common limits. */
const LOOKUP_BATCH = 40;

/**
 * Writes to a FHIR server that assigns ids itself. Each `PUT` becomes a conditional update
 * on the business identifier (`PUT Practitioner?identifier=<system>|<value>`) with a
 * `urn:uuid:` fullUrl; a reference to a resource written in the same Bundle points to that
 * fullUrl (the server replaces it with the id it assigns, R4 transaction rules), and a
 * reference to a resource written earlier points to its server id, looked up by identifier
 * (and remembered for the rest of the run). A `DELETE` addresses the server id the same way.
 * Conditional references (`Practitioner?identifier=…` inside a reference) are not used:
 * R4 leaves them optional and servers such as Medplum do not resolve them.
 */
export class ServerIdDirectory {
  /** identityKey → server id, for the types other resources reference (not Slots). */
  readonly #ids = new Map<string, string>();

  constructor(private readonly search: Search) {}

  /**
   * The transaction Bundle for `entries`. `references` maps each reference our mappers
   * write (`Schedule/<our id>`) to the identity of its target. Throws a
   * {@link ValidationError} when a target is neither in the Bundle nor on the server.
   */
  async toBundle(
    entries: readonly IdentifiedEntry[],
    references: ReadonlyMap<string, BusinessIdentity>,
    signal: AbortSignal,
  ): Promise<ServerIdBundle> {
    const urns = new Map<string, string>();
    for (const { identity, entry, isServerAddressed } of entries) {
      const key = identityKey(identity);
      if (entry.request?.method === 'PUT' && !isServerAddressed && !urns.has(key)) {
        urns.set(key, `urn:uuid:${randomUUID()}`);
      }
    }
    await this.#lookUp(this.#needed(entries, references, urns), signal);
    const built: ServerIdBundle = {
      bundle: { resourceType: 'Bundle', type: 'transaction', entry: [] },
      positions: [],
      identities: [],
    };
    const placed = new Map<string, number>();
    const add = (identity: BusinessIdentity, entry: BundleEntry): number => {
      built.identities.push(identity);
      return (built.bundle.entry ?? []).push(entry) - 1;
    };
    for (const { identity, entry, isServerAddressed } of entries) {
      const key = identityKey(identity);
      if (isServerAddressed) {
        built.positions.push(add(identity, entry));
      } else if (entry.request?.method === 'DELETE') {
        const id = this.#ids.get(key);
        built.positions.push(
          id === undefined
            ? undefined
            : add(identity, { request: { method: 'DELETE', url: `${identity.type}/${id}` } }),
        );
      } else {
        // The same resource planned twice (a Location two providers share): write it once.
        let position = placed.get(key);
        if (position === undefined) {
          const { id: _ours, ...resource } = entry.resource as Resource;
          position = add(identity, {
            fullUrl: urns.get(key),
            resource: this.#rewrite(resource, identity, references, urns) as Resource,
            request: { method: 'PUT', url: conditionalUrl(identity) },
          });
          placed.set(key, position);
        }
        built.positions.push(position);
      }
    }
    return built;
  }

  /** Remembers the ids the server assigned (or forgets deleted ones) from its response. */
  learn(built: ServerIdBundle, response: Bundle): void {
    built.identities.forEach((identity, index) => {
      const key = identityKey(identity);
      const request = built.bundle.entry?.[index]?.request;
      if (request?.method === 'DELETE') {
        this.#ids.delete(key);
        return;
      }
      if (identity.type === 'Slot') return;
      const answer = response.entry?.[index];
      const id = idFromLocation(answer?.response?.location) ?? answer?.resource?.id;
      if (id !== undefined) this.#ids.set(key, id);
    });
  }

  #needed(
    entries: readonly IdentifiedEntry[],
    references: ReadonlyMap<string, BusinessIdentity>,
    urns: ReadonlyMap<string, string>,
  ): BusinessIdentity[] {
    const needed: BusinessIdentity[] = [];
    for (const { identity, entry, isServerAddressed } of entries) {
      if (isServerAddressed) continue;
      if (entry.request?.method === 'DELETE') {
        needed.push(identity);
        continue;
      }
      for (const reference of referencesIn(entry.resource)) {
        const target = references.get(reference);
        if (target !== undefined && !urns.has(identityKey(target))) needed.push(target);
      }
    }
    return needed;
  }

  /** Looks up, by identifier, the server ids not yet known; absent ones stay unknown. */
  async #lookUp(identities: readonly BusinessIdentity[], signal: AbortSignal): Promise<void> {
    const byType = new Map<string, Map<string, BusinessIdentity>>();
    for (const identity of identities) {
      const key = identityKey(identity);
      if (this.#ids.has(key)) continue;
      const group = byType.get(identity.type) ?? new Map<string, BusinessIdentity>();
      group.set(key, identity);
      byType.set(identity.type, group);
    }
    for (const [type, group] of byType) {
      const wanted = [...group.values()];
      for (let i = 0; i < wanted.length; i += LOOKUP_BATCH) {
        const batch = wanted.slice(i, i + LOOKUP_BATCH);
        const found = await this.search(
          type,
          { identifier: batch.map(identifierToken).join(','), _count: String(batch.length * 2) },
          signal,
        );
        for (const { resource } of found.entry ?? []) this.#remember(resource, batch);
      }
    }
  }

  #remember(resource: Resource | undefined, batch: readonly BusinessIdentity[]): void {
    const identifiers = (resource as { identifier?: Array<{ system?: string; value?: string }> })
      ?.identifier;
    for (const identity of batch) {
      const matches = identifiers?.some(
        (i) => i.system === identity.system && i.value === identity.value,
      );
      if (matches && resource?.id !== undefined) this.#ids.set(identityKey(identity), resource.id);
    }
  }

  #rewrite(
    value: unknown,
    owner: BusinessIdentity,
    references: ReadonlyMap<string, BusinessIdentity>,
    urns: ReadonlyMap<string, string>,
  ): unknown {
    if (Array.isArray(value)) return value.map((v) => this.#rewrite(v, owner, references, urns));
    if (typeof value !== 'object' || value === null) return value;
    const out: Record<string, unknown> = {};
    for (const [name, field] of Object.entries(value)) {
      const target =
        name === 'reference' && typeof field === 'string' ? references.get(field) : undefined;
      out[name] =
        target === undefined
          ? this.#rewrite(field, owner, references, urns)
          : this.#address(target, owner, urns);
    }
    return out;
  }

  #address(
    target: BusinessIdentity,
    owner: BusinessIdentity,
    urns: ReadonlyMap<string, string>,
  ): string {
    const key = identityKey(target);
    const urn = urns.get(key);
    if (urn !== undefined) return urn;
    const id = this.#ids.get(key);
    if (id !== undefined) return `${target.type}/${id}`;
    throw new ValidationError(
      `${owner.type} ${owner.value} references ${target.type} ${target.value}, which is not on the FHIR server (was it deleted there?)`,
      { type: owner.type, value: owner.value, target: { type: target.type, value: target.value } },
      'PMS_RECORD_UNMAPPABLE',
    );
  }
}

/** Every `reference` string in a resource. */
function referencesIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(referencesIn);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([name, field]) =>
    name === 'reference' && typeof field === 'string' ? [field] : referencesIn(field),
  );
}

/** `Practitioner/abc`, `…/Practitioner/abc/_history/2` → `abc`. */
function idFromLocation(location: string | undefined): string | undefined {
  const match = /(?:^|\/)[A-Z][A-Za-z]+\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(
    location ?? '',
  );
  return match?.[1];
}

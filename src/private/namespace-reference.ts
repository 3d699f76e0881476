// Which options a `MeshNamespace.fromName` reference was given: the others hold defaults, which a
// namespace of the same name declared in the chart may override.
const given = new WeakMap<object, ReadonlySet<string>>();

export function recordGivenOptions(reference: object, options: object): void {
  given.set(reference, new Set(Object.keys(options).filter((key) => (options as any)[key] !== undefined && (options as any)[key] !== null)));
}

/** The options a reference was given, or undefined for an object that is not a `fromName` reference. */
export function givenReferenceOptions(namespace: unknown): ReadonlySet<string> | undefined {
  return typeof namespace === 'object' && namespace !== null ? given.get(namespace) : undefined;
}

/** Gives `copy` (a snapshot of a reference) the given options of `reference`. */
export function copyGivenOptions(reference: object, copy: object): void {
  const options = given.get(reference);
  if (options) given.set(copy, options);
}

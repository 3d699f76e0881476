import { IConstruct } from 'constructs';
import { releaseClaims } from './registry';

// A construct that refuses its input must leave nothing behind: no half-built children, no names
// claimed, no legs added to objects other constructs share. Constructors check first where they
// can; what they change in shared state before a later check fails is undone here.

const undoByHolder = new WeakMap<IConstruct, (() => void)[]>();

/** Registers how to undo a change `holder` made to state shared with other constructs. */
export function onRollback(holder: IConstruct, undo: () => void): void {
  const list = undoByHolder.get(holder);
  if (list) list.push(undo);
  else undoByHolder.set(holder, [undo]);
}

/**
 * Removes `construct` (refused while it was being built, or while a method added to it) and
 * everything it left: its children, the names it and they claimed, the changes they registered
 * with `onRollback`. Returns `error`, for `throw rollback(this, error)`.
 */
export function rollback(construct: IConstruct, error: unknown): unknown {
  undoWithin(construct);
  construct.node.scope?.node.tryRemoveChild(construct.node.id);
  return error;
}

/** Undoes what `construct` and its children registered, and releases their claims, keeping `construct` itself. */
export function undoWithin(construct: IConstruct): void {
  const subtree = construct.node.findAll();
  for (const c of [...subtree].reverse()) {
    const list = undoByHolder.get(c);
    if (!list) continue;
    undoByHolder.delete(c);
    for (const undo of list.reverse()) undo();
  }
  releaseClaims(construct, new Set(subtree));
}

// The mesh model for TypeScript users: `import { MeshModel } from 'cdk8s-istio-security/lib/src/model'`.
// Not part of the jsii API (it uses union types and generators); other languages use `MeshReport`.

export * from './types';
export { MeshModel } from './model';
export type { GroupPair, EgressPair } from './model';
export { findFindings } from './findings';
export { loadManifests, manifestFiles, parseManifest } from './load';
export { decideSidecar } from './injection';
export type { SidecarDecision } from './injection';
export { renderText } from './render-text';
export type { TextOptions, DetailMode } from './report-doc';
export { renderMarkdown } from './render-markdown';
export { jsonChunks, writeJson, toJsonReport } from './render-json';
export type { JsonReport } from './render-json';
export { renderSvg, toDot, renderDiffSvg, diffToDot } from './render-svg';
export { aggregate } from './aggregate';
export type { Aggregate } from './aggregate';
export { diffModels, classifyCall, classifyEgress, CHANGE_CLASSES } from './diff';
export type { MeshDiff, CallChange, CallChangeRow, EgressChange, EgressChangeRow, ChangeClass, ChangeKind, WorkloadChange } from './diff';
export { renderDiffText, renderDiffMarkdown, renderDiffJson } from './render-diff';
export { toSnapshot } from './snapshot';
export { checkIntents, parseIntents, intentText, intentJson } from './intents';
export type { IntentSpec, IntentResult, PartySpec, IntentState } from './intents';

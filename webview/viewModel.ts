/**
 * The inspector's view model: everything the renderers show, computed from a
 * ModelAnalysis without touching the DOM (so it runs under Node in the unit
 * tests). Split by concern under model/; this module is the one entry point.
 */
export * from "./model/format";
export * from "./model/moduleTree";
export * from "./model/tableColumns";
export * from "./model/tableModel";
export * from "./model/graphModel";
export * from "./model/graphSearch";
export * from "./model/graphLayout";
export * from "./model/opKind";
export * from "./model/plumbing";
export * from "./model/chartModel";
export * from "./model/summaryModel";
export * from "./model/persistedState";
export * from "./model/graphBreadcrumb";

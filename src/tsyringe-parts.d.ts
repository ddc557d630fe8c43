// tsyringe's index refuses to load without a global Reflect metadata polyfill, which only its
// decorators need. The container uses no decorators, so it loads the two modules it uses directly
// and leaves the host's globals alone.
declare module "tsyringe/dist/cjs/dependency-container.js" {
  import type { DependencyContainer } from "tsyringe";
  export const instance: DependencyContainer;
}
declare module "tsyringe/dist/cjs/factories/instance-caching-factory.js" {
  import type { instanceCachingFactory } from "tsyringe";
  // A CommonJS module: an ES import's default is its `exports`, which holds `default`.
  const exported: { readonly default: typeof instanceCachingFactory };
  export default exported;
}

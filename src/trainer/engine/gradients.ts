// tfjs-core's main (CJS) build registers no gradients: training needs the side-effect module below.
// It is ESM with extensionless imports, which Node cannot load from node_modules, so scripts/build.mjs
// bundles `@tensorflow/tfjs-core/dist/*` deep imports instead of leaving them external. The bundled copy
// shares the global engine and registries (tfjs-core keeps them on a global namespace), so its gradient
// functions run on the same backend.
import '@tensorflow/tfjs-core/dist/register_all_gradients';

// The real Backstage catalog backend for golden's integration tests: the catalog plugin, the
// scaffolder entity model (so Template entities are accepted), and a module that also allows
// `file` locations (absolute paths on this machine) next to `url` ones. Nothing else.
// Start with ./start.sh PORT (it binds 127.0.0.1 only).
import { createBackend } from '@backstage/backend-defaults';
import { createBackendModule, coreServices } from '@backstage/backend-plugin-api';
import { catalogLocationsExtensionPoint } from '@backstage/plugin-catalog-node';

const allowFileLocations = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'golden-file-locations',
  register(reg) {
    reg.registerInit({
      deps: { locations: catalogLocationsExtensionPoint, logger: coreServices.logger },
      async init({ locations, logger }) {
        locations.setAllowedLocationTypes(['url', 'file']);
        logger.info('golden harness: catalog accepts url and file locations');
      },
    });
  },
});

const backend = createBackend();
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'));
backend.add(allowFileLocations);
backend.start();

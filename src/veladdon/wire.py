"""KubeVela's wire-format names, spelled once: API versions, and the labels and annotations that addons,
KubeVela and `vela` read and write. Every other module imports them from here, so a rename upstream is a
one-line change and no two spellings can drift apart."""

from __future__ import annotations

# API versions and the Application that an addon is.
APP_API_VERSION = "core.oam.dev/v1beta1"
DEFINITION_API_VERSION = APP_API_VERSION  # the X-Definitions share the Application's group/version
APP_PREFIX = "addon-"  # an addon's Application is `addon-<name>`

# Labels on the addon's Application and on everything it applies.
LABEL_NAME = "addons.oam.dev/name"
LABEL_VERSION = "addons.oam.dev/version"
LABEL_REGISTRY = "addons.oam.dev/registry"
LABEL_AUX = "addons.oam.dev/auxiliary-name"

# Annotations KubeVela reads on the Application.
PUBLISH_VERSION = "app.oam.dev/publishVersion"
BIND_ANNOTATION = "addon.oam.dev/bind-component"
LEGACY_BIND_ANNOTATION = "addon.oam.dev/ignore-without-component"
# The definitions an addon provides, recorded on its Application by kind (`vela addon list` reads them).
DEFINITION_ANNOTATIONS = {
    "ComponentDefinition": "addon.oam.dev/componentDefinitions",
    "TraitDefinition": "addon.oam.dev/traitDefinitions",
    "WorkflowStepDefinition": "addon.oam.dev/workflowStepDefinitions",
    "PolicyDefinition": "addon.oam.dev/policyDefinitions",
}
DEFINITION_KINDS = {annotation: kind for kind, annotation in DEFINITION_ANNOTATIONS.items()}

# The parameter Secret's data key.
SECRET_KEY = "addonParameterDataKey"

# Definition metadata.
DESCRIPTION_KEY = "definition.oam.dev/description"
ALIAS_KEY = "definition.oam.dev/alias"
USER_PREFIX = "custom.definition.oam.dev/"

# KubeVela's controller Deployment.
CONTROLLER_LABEL = "controller.oam.dev/name"

# veladdon's own bookkeeping on the Application: what it applied (to prune and to disable what garbage
# collection cannot reach), and the rendered NOTES (for `status`).
OBJECTS_ANNOTATION = "veladdon.dev/objects"
NOTES_ANNOTATION = "veladdon.dev/notes"

/* The OpenAPI page: Swagger UI (shipped with the package) on /api/openapi.json. */
"use strict";

window.addEventListener("load", () => {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    defaultModelsExpandDepth: -1,
  });
});

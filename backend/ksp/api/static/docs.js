// Starts Swagger UI on our own OpenAPI document. A file, not an inline script, so that
// the Content-Security-Policy can allow scripts from this server only.
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,            // never call validator.swagger.io
    persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout'
  });
});

import express, { type Router } from 'express';
import { adminOpenApiDocument, openApiOperation } from '../openapi';
import { mount } from '../contract/operation';

/** GET /openapi.json: the admin API's OpenAPI 3 document, public (it describes, it grants nothing). */
export function openapiRoutes(): Router {
  const router = express.Router();
  const document = adminOpenApiDocument();
  mount(router, openApiOperation, (_input, _req, res) => {
    res.json(document);
  });
  return router;
}

// The part of Shopify's Admin GraphQL schema the stand-in serves, and the argument checks that
// refuse a request before anything in it runs. Field and argument names are those of the
// Admin GraphQL reference (shopify.dev/docs/api/admin-graphql/2026-01: QueryRoot.inventoryItem,
// inventoryLevel, productVariant, productVariants, location, shop; Mutation.inventorySetQuantities;
// the objects InventoryItem, InventoryLevel, InventoryQuantity, InventoryAdjustmentGroup,
// InventoryChange, ProductVariant, PageInfo).
import { GraphQLError, argsOf } from './graphql.mjs';
import { checkSetQuantitiesInput } from './shopify-inventory.mjs';
import { versionAtLeast } from './common.mjs';

/** The part of the Admin schema the stand-in serves (field → type and accepted arguments). */
export const SCHEMA = {
  QueryRoot: {
    inventoryItem: { type: 'InventoryItem', args: ['id'] },
    inventoryLevel: { type: 'InventoryLevel', args: ['id'] },
    productVariant: { type: 'ProductVariant', args: ['id'] },
    productVariants: { type: 'ProductVariantConnection', args: ['first', 'after', 'last', 'before', 'query', 'reverse', 'sortKey'] },
    location: { type: 'Location', args: ['id'] },
    shop: { type: 'Shop' },
  },
  Mutation: {
    inventorySetQuantities: { type: 'InventorySetQuantitiesPayload', args: ['input'] },
  },
  Shop: { id: { type: 'ID' }, name: { type: 'String' }, myshopifyDomain: { type: 'String' } },
  InventorySetQuantitiesPayload: {
    inventoryAdjustmentGroup: { type: 'InventoryAdjustmentGroup' },
    userErrors: { type: '[InventorySetQuantitiesUserError]' },
  },
  InventorySetQuantitiesUserError: { code: { type: 'ENUM' }, field: { type: '[String]' }, message: { type: 'String' } },
  InventoryAdjustmentGroup: {
    id: { type: 'ID' },
    createdAt: { type: 'DateTime' },
    reason: { type: 'String' },
    referenceDocumentUri: { type: 'String' },
    changes: { type: '[InventoryChange]', args: ['inventoryItemIds', 'locationIds', 'quantityNames'] },
  },
  InventoryChange: {
    name: { type: 'String' },
    delta: { type: 'Int' },
    quantityAfterChange: { type: 'Int' },
    ledgerDocumentUri: { type: 'String' },
    item: { type: 'InventoryItem' },
    location: { type: 'Location' },
  },
  InventoryItem: {
    id: { type: 'ID' },
    legacyResourceId: { type: 'UnsignedInt64' },
    sku: { type: 'String' },
    tracked: { type: 'Boolean' },
    variant: { type: 'ProductVariant' },
    inventoryLevel: { type: 'InventoryLevel', args: ['locationId'] },
  },
  InventoryLevel: {
    id: { type: 'ID' },
    updatedAt: { type: 'DateTime' },
    item: { type: 'InventoryItem' },
    location: { type: 'Location' },
    quantities: { type: '[InventoryQuantity]', args: ['names'] },
  },
  InventoryQuantity: { id: { type: 'ID' }, name: { type: 'String' }, quantity: { type: 'Int' }, updatedAt: { type: 'DateTime' } },
  Location: { id: { type: 'ID' }, legacyResourceId: { type: 'UnsignedInt64' }, name: { type: 'String' } },
  Product: { id: { type: 'ID' }, legacyResourceId: { type: 'UnsignedInt64' }, title: { type: 'String' } },
  ProductVariant: {
    id: { type: 'ID' },
    legacyResourceId: { type: 'UnsignedInt64' },
    sku: { type: 'String' },
    title: { type: 'String' },
    displayName: { type: 'String' },
    inventoryItem: { type: 'InventoryItem' },
    product: { type: 'Product' },
  },
  ProductVariantConnection: {
    edges: { type: '[ProductVariantEdge]' },
    nodes: { type: '[ProductVariant]' },
    pageInfo: { type: 'PageInfo' },
  },
  ProductVariantEdge: { cursor: { type: 'String' }, node: { type: 'ProductVariant' } },
  PageInfo: {
    hasNextPage: { type: 'Boolean' },
    hasPreviousPage: { type: 'Boolean' },
    startCursor: { type: 'String' },
    endCursor: { type: 'String' },
  },
};

/** The key of a field's `@idempotent(key: ...)` directive, if it has one. */
export function idempotencyKeyOf(field, variables) {
  const d = (field.directives || []).find((x) => x.name === 'idempotent');
  if (!d) return undefined;
  return argsOf(d.args, variables).key;
}

/** Argument checks that must refuse a request before anything in it runs. */
export function checkArgs(type, field, args, node, version, variables) {
  if (type === 'Mutation' && field === 'inventorySetQuantities') {
    checkSetQuantitiesInput(args.input, version);
    const key = idempotencyKeyOf(node, variables);
    if (key !== undefined && (typeof key !== 'string' || key.length === 0)) {
      throw new GraphQLError("Directive 'idempotent' argument 'key' must be a non-empty String", { code: 'argumentLiteralsIncompatible' });
    }
    // 2026-04: "calling these mutations without an idempotency directive will result in an
    // error at runtime" (changelog: making-idempotency-mandatory-...). Optional in 2026-01.
    if (key === undefined && versionAtLeast(version, '2026-04')) {
      throw new GraphQLError('The @idempotent directive is required for inventorySetQuantities', { code: 'IDEMPOTENCY_KEY_REQUIRED' });
    }
  }
  if (type === 'QueryRoot' && field === 'productVariants') {
    const n = args.first ?? args.last;
    if (!Number.isInteger(n)) throw new GraphQLError('you must provide one of first or last', { code: 'badRequest' });
    if (n > 250 || n < 0) throw new GraphQLError('The maximum number of items per page is 250', { code: 'badRequest' });
    if (args.last !== undefined) throw new GraphQLError('The stand-in pages forward only (first/after)', { code: 'unsupported' });
  }
  if (type === 'InventoryItem' && field === 'inventoryLevel' && typeof args.locationId !== 'string') {
    throw new GraphQLError("Field 'inventoryLevel' is missing required arguments: locationId", { code: 'missingRequiredArguments' });
  }
  if (type === 'InventoryLevel' && field === 'quantities' && !Array.isArray(args.names)) {
    throw new GraphQLError("Field 'quantities' is missing required arguments: names", { code: 'missingRequiredArguments' });
  }
}

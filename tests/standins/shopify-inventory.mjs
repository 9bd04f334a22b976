// The Shopify stand-in's store: locations, products, variants, inventory items and levels, and
// the rules of `inventorySetQuantities` as Shopify documents them per API version. The HTTP
// side, the cost bucket and the webhooks live in shopify.mjs.
//
// Sources (stored copies read through the docs search):
// - mutation and CAS: shopify.dev/docs/api/admin-graphql/{2025-04,2026-01,2027-01}/mutations/inventorySetQuantities
// - changeFromQuantity: shopify.dev/changelog/compare-and-swap-redesign-for-inventory-set-quantities (2026-01)
//   and shopify.dev/changelog/finalizing-compare-and-swap-redesign-for-inventory-set-quantities (2026-04)
// - idempotency: shopify.dev/changelog/adding-idempotency-for-inventory-adjustments-and-refund-mutations,
//   shopify.dev/changelog/making-idempotency-mandatory-for-inventory-adjustments-and-refund-mutations,
//   shopify.dev/docs/api/usage/implementing-idempotency
// - error codes: shopify.dev/docs/api/admin-graphql/2026-01/enums/InventorySetQuantitiesUserErrorCode
//   (and .../latest/..., 2026-10, which adds IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED)
// - input fields: shopify.dev/docs/api/admin-graphql/2026-01/input-objects/InventoryQuantityInput,
//   .../InventorySetQuantitiesInput
// - the 250-item cap on input arrays: shopify.dev/docs/api/usage/limits ("Input limits")
import { GraphQLError } from './graphql.mjs';
import { versionAtLeast } from './common.mjs';

/** `gid://shopify/Type/123` → 123 (a number), or throws the error Shopify gives a bad global id. */
export function gidNumber(gid, type) {
  const m = /^gid:\/\/shopify\/([A-Za-z]+)\/(\d+)(\?.*)?$/.exec(String(gid));
  if (!m || (type && m[1] !== type)) {
    throw new GraphQLError(`Invalid global id '${gid}'`, { code: 'argumentLiteralsIncompatible' });
  }
  return Number(m[2]);
}
export const gid = (type, id) => `gid://shopify/${type}/${id}`;
/** An inventory level's global id names its location and, as a query, its item. */
export const levelGid = (item, loc) => `gid://shopify/InventoryLevel/${loc}?inventory_item_id=${item}`;

/**
 * The reasons Shopify accepts (shopify.dev/docs/apps/fulfillment/inventory-management-apps/
 * quantities-states, linked from InventorySetQuantitiesInput.reason as "possible reasons").
 */
export const REASONS = new Set([
  'correction', 'cycle_count_available', 'damaged', 'movement_created', 'movement_updated',
  'movement_received', 'movement_canceled', 'other', 'promotion', 'quality_control', 'received',
  'reservation_created', 'reservation_deleted', 'reservation_updated', 'restock', 'safety_stock',
  'shrinkage',
]);

const QUANTITY_LIMIT = 1_000_000_000; // INVALID_QUANTITY_TOO_HIGH / _TOO_LOW
const INPUT_ARRAY_LIMIT = 250;

/** What InventoryQuantityInput accepts in each version (2026-01 adds changeFromQuantity and
 * deprecates compareQuantity; 2026-04 removes compareQuantity and ignoreCompareQuantity). */
function inputFields(version) {
  const quantity = ['inventoryItemId', 'locationId', 'quantity'];
  const input = ['name', 'reason', 'referenceDocumentUri', 'quantities'];
  if (!versionAtLeast(version, '2026-04')) {
    quantity.push('compareQuantity');
    input.push('ignoreCompareQuantity');
  }
  if (versionAtLeast(version, '2026-01')) quantity.push('changeFromQuantity');
  return { quantity, input };
}

/** The top-level error GraphQL gives an input value that does not fit its type (nothing runs). */
function invalidInput(path, explanation) {
  return new GraphQLError(`Variable $input of type InventorySetQuantitiesInput! was provided invalid value for ${path.join('.')} (${explanation})`, {
    code: 'INVALID_VARIABLE',
    problems: [{ path, explanation }],
  });
}

/** Checks the shape of `input` against the version's input types: unknown fields, missing
 * non-null fields, wrong scalar types. Refusals are top-level errors, before anything runs. */
export function checkSetQuantitiesInput(input, version) {
  const fields = inputFields(version);
  if (!input || typeof input !== 'object') throw invalidInput([], 'Expected value to not be null');
  for (const k of Object.keys(input)) {
    if (!fields.input.includes(k)) throw invalidInput([k], 'Field is not defined on InventorySetQuantitiesInput');
  }
  for (const k of ['name', 'reason']) {
    if (typeof input[k] !== 'string') throw invalidInput([k], 'Expected value to be a String');
  }
  if (!Array.isArray(input.quantities)) throw invalidInput(['quantities'], 'Expected value to be a list');
  if (input.quantities.length > INPUT_ARRAY_LIMIT) {
    throw new GraphQLError(`The input array size of ${input.quantities.length} is greater than the maximum allowed of ${INPUT_ARRAY_LIMIT}.`, {
      code: 'MAX_INPUT_SIZE_EXCEEDED',
    });
  }
  input.quantities.forEach((q, i) => {
    for (const k of Object.keys(q || {})) {
      if (!fields.quantity.includes(k)) throw invalidInput(['quantities', i, k], 'Field is not defined on InventoryQuantityInput');
    }
    if (!Number.isInteger(q.quantity)) throw invalidInput(['quantities', i, 'quantity'], 'Expected value to be an Int');
    for (const k of ['changeFromQuantity', 'compareQuantity']) {
      if (q[k] !== undefined && q[k] !== null && !Number.isInteger(q[k])) {
        throw invalidInput(['quantities', i, k], 'Expected value to be an Int');
      }
    }
    // 2026-04: "each quantity in quantities must include a changeFromQuantity value ...
    // Omitting changeFromQuantity returns an error" (null opts out explicitly).
    if (versionAtLeast(version, '2026-04') && !('changeFromQuantity' in q)) {
      throw invalidInput(['quantities', i, 'changeFromQuantity'], 'changeFromQuantity is required; pass null to skip the compare');
    }
    gidNumber(q.inventoryItemId, 'InventoryItem');
    gidNumber(q.locationId, 'Location');
  });
}

/** The in-memory shop. Ids are numbers; the GraphQL side speaks global ids. */
export class Inventory {
  constructor() {
    this.locations = new Map();
    this.products = new Map();
    this.variants = new Map();
    this.items = new Map();
    this.levels = new Map(); // `${item}:${loc}` → { available, onHand, committed, updatedAt }
    this.nextId = 1000;
    this.groups = 0;
  }
  id() {
    this.nextId += 1;
    return this.nextId;
  }
  addLocation({ id = this.id(), name = `Location ${id}` } = {}) {
    this.locations.set(Number(id), { id: Number(id), name });
    return Number(id);
  }
  /** Adds a product variant with its inventory item; `levels` maps location id → available. */
  addVariant({ sku, title, productId, variantId = this.id(), inventoryItemId = this.id(), levels = {} }) {
    const pid = Number(productId ?? this.id());
    if (!this.products.has(pid)) this.products.set(pid, { id: pid, title: title || `Product ${pid}` });
    const v = { id: Number(variantId), productId: pid, sku: sku ?? null, title: title || sku || `Variant ${variantId}`, inventoryItemId: Number(inventoryItemId) };
    this.variants.set(v.id, v);
    this.items.set(v.inventoryItemId, { id: v.inventoryItemId, variantId: v.id });
    for (const [loc, qty] of Object.entries(levels)) this.stock(v.inventoryItemId, Number(loc), qty);
    return { variantId: v.id, productId: pid, inventoryItemId: v.inventoryItemId };
  }
  /** Stocks an item at a location (creating the level), setting `available`. */
  stock(item, loc, available) {
    if (!this.locations.has(loc)) this.addLocation({ id: loc });
    const level = this.levels.get(`${item}:${loc}`) || { available: 0, onHand: 0, committed: 0 };
    level.onHand += available - level.available;
    level.available = available;
    level.updatedAt = new Date();
    this.levels.set(`${item}:${loc}`, level);
    return level;
  }
  level(item, loc) {
    return this.levels.get(`${Number(item)}:${Number(loc)}`);
  }
  variantBySku(sku) {
    return [...this.variants.values()].find((v) => v.sku === sku);
  }

  /**
   * inventorySetQuantities: every quantity is checked first and nothing is applied when any is
   * refused, so a stale compare changes no level. Returns `{ userErrors, changes }` where each
   * change is `{ item, loc, name, delta, after }`.
   */
  setQuantities(input) {
    const errors = [];
    const err = (code, field, message) => errors.push({ code, field, message });
    if (input.name !== 'available' && input.name !== 'on_hand') {
      err('INVALID_NAME', ['input', 'name'], "The quantity name must be either 'available' or 'on_hand'.");
    }
    if (!REASONS.has(input.reason)) err('INVALID_REASON', ['input', 'reason'], 'The specified reason is invalid.');
    if (input.referenceDocumentUri != null && !/^[A-Za-z][A-Za-z0-9+.-]*:.+/.test(input.referenceDocumentUri)) {
      err('INVALID_REFERENCE_DOCUMENT', ['input', 'referenceDocumentUri'], 'The specified reference document is invalid.');
    }
    const seen = new Set();
    const planned = [];
    input.quantities.forEach((q, i) => {
      const at = (k) => ['input', 'quantities', String(i), k];
      const item = gidNumber(q.inventoryItemId);
      const loc = gidNumber(q.locationId);
      if (!this.items.has(item)) return err('INVALID_INVENTORY_ITEM', at('inventoryItemId'), 'The specified inventory item could not be found.');
      if (!this.locations.has(loc)) return err('INVALID_LOCATION', at('locationId'), 'The specified location could not be found.');
      const level = this.level(item, loc);
      if (!level) return err('ITEM_NOT_STOCKED_AT_LOCATION', at('locationId'), 'The specified inventory item is not stocked at the location.');
      if (seen.has(`${item}:${loc}`)) {
        return err('NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR', at('inventoryItemId'), 'The combination of inventoryItemId and locationId must be unique.');
      }
      seen.add(`${item}:${loc}`);
      if (q.quantity > QUANTITY_LIMIT) return err('INVALID_QUANTITY_TOO_HIGH', at('quantity'), "The total quantity can't be higher than 1,000,000,000.");
      if (q.quantity < -QUANTITY_LIMIT) return err('INVALID_QUANTITY_TOO_LOW', at('quantity'), "The total quantity can't be lower than -1,000,000,000.");
      const current = input.name === 'on_hand' ? level.onHand : level.available;
      // 2026-01: "Passing any value (including null) to changeFromQuantity will override any
      // values passed to the compareQuantity and ignoreCompareQuantity fields"; without it the
      // mutation falls back to compareQuantity / ignoreCompareQuantity as before.
      if ('changeFromQuantity' in q) {
        if (q.changeFromQuantity !== null && q.changeFromQuantity !== current) {
          return err('CHANGE_FROM_QUANTITY_STALE', at('changeFromQuantity'), 'The changeFromQuantity value does not match persisted value.');
        }
      } else if (!input.ignoreCompareQuantity) {
        if (q.compareQuantity === undefined || q.compareQuantity === null) {
          return err('COMPARE_QUANTITY_REQUIRED', at('compareQuantity'), 'The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity.');
        }
        if (q.compareQuantity !== current) {
          return err('COMPARE_QUANTITY_STALE', at('compareQuantity'), 'The compareQuantity value does not match persisted value.');
        }
      }
      planned.push({ item, loc, level, quantity: q.quantity, delta: q.quantity - current });
    });
    if (errors.length) return { userErrors: errors, changes: [] };
    const changes = [];
    const now = new Date();
    for (const p of planned) {
      if (p.delta === 0) continue;
      p.level.available += p.delta;
      p.level.onHand += p.delta;
      p.level.updatedAt = now;
      // Setting one named quantity moves on_hand with available (and the reverse), as the
      // adjustment group of a set shows both names.
      changes.push({ item: p.item, loc: p.loc, name: 'available', delta: p.delta, after: p.level.available });
      changes.push({ item: p.item, loc: p.loc, name: 'on_hand', delta: p.delta, after: p.level.onHand });
    }
    this.groups += 1;
    return { userErrors: [], changes, groupId: this.groups, createdAt: now };
  }
}

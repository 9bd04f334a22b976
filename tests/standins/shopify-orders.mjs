// Orders in the Shopify stand-in: a control call places, cancels or refunds an order; the level
// moves as Shopify moves it and the webhooks go out with the REST payload of each topic.
//
// Payload fields, from the webhook reference (shopify.dev/docs/api/webhooks?reference=toml,
// topics orders/create, orders/cancelled, refunds/create) and the REST Order and Refund
// resources they carry (shopify.dev/docs/api/admin-rest/latest/resources/order, .../refund):
// - an order: id, admin_graphql_api_id, name, order_number, created_at, updated_at,
//   cancelled_at, cancel_reason, financial_status, fulfillment_status, location_id (set for
//   orders taken at a location, such as POS; null for online orders), line_items[].
// - a line item: id, admin_graphql_api_id, variant_id, product_id, sku, quantity, title, name,
//   price, fulfillable_quantity, fulfillment_status.
// - a refund: id, order_id, created_at, note, restock, refund_line_items[] of
//   { id, line_item_id, location_id, quantity, restock_type: 'no_restock' | 'cancel' | 'return',
//   subtotal, total_tax, line_item }.
// An order takes the units off `available` (and counts them `committed`); a cancelled order with
// restock, and a refund line with restock_type `cancel` or `return`, puts them back.
import { gid } from './shopify-inventory.mjs';

const now = () => new Date().toISOString();

export class OrderBook {
  constructor({ store, emit, levelChanged }) {
    this.store = store;
    this.emit = emit;
    this.levelChanged = levelChanged;
    this.orders = new Map();
    this.number = 1000;
  }

  /**
   * Places an order: `lines` of `{ sku | variantId, quantity, price? }`, stock taken at
   * `locationId` (default: the first location stocking the item). A line `{ custom: true,
   * title, sku?, quantity }` is a custom item: no variant, no product, no stock moved. `pos: true` marks an order
   * taken at the location (its `location_id` is set). Sends orders/create, then one
   * inventory_levels/update per level the order moved.
   */
  place({ lines, locationId, pos = false, financialStatus = 'paid' }) {
    if (!Array.isArray(lines) || !lines.length) throw new Error('placeOrder needs lines');
    const resolved = lines.map((l) => {
      if (l.custom) return { v: null, loc: null, quantity: l.quantity ?? 1, price: l.price ?? '10.00', title: l.title ?? 'Custom item', sku: l.sku ?? null };
      const v = l.variantId !== undefined ? this.store.variants.get(Number(l.variantId)) : this.store.variantBySku(l.sku);
      if (!v) throw new Error(`placeOrder: no variant for ${JSON.stringify(l)}`);
      const loc = locationId !== undefined ? Number(locationId) : this.#stockingLocation(v.inventoryItemId);
      if (!this.store.level(v.inventoryItemId, loc)) throw new Error(`placeOrder: ${v.sku} is not stocked at location ${loc}`);
      return { v, loc, quantity: l.quantity ?? 1, price: l.price ?? '10.00' };
    });
    this.number += 1;
    const id = this.store.id();
    const created = now();
    const order = {
      id,
      admin_graphql_api_id: gid('Order', id),
      name: `#${this.number}`,
      order_number: this.number,
      created_at: created,
      updated_at: created,
      cancelled_at: null,
      cancel_reason: null,
      financial_status: financialStatus,
      fulfillment_status: null,
      source_name: pos ? 'pos' : 'web',
      location_id: pos ? resolved.find((r) => r.v)?.loc ?? null : null,
      currency: 'EUR',
      line_items: resolved.map(({ v, quantity, price, title, sku }) => {
        const lid = this.store.id();
        if (!v) {
          return { id: lid, admin_graphql_api_id: gid('LineItem', lid), variant_id: null, product_id: null, sku, quantity, fulfillable_quantity: quantity, fulfillment_status: null, title, name: title, price };
        }
        return {
          id: lid,
          admin_graphql_api_id: gid('LineItem', lid),
          variant_id: v.id,
          product_id: v.productId,
          sku: v.sku,
          quantity,
          fulfillable_quantity: quantity,
          fulfillment_status: null,
          title: this.store.products.get(v.productId).title,
          name: v.title,
          price,
        };
      }),
      refunds: [],
    };
    // Where each line's units came from, for cancellations and refunds.
    order._locations = Object.fromEntries(order.line_items.map((li, i) => [li.id, resolved[i].loc]));
    this.orders.set(id, order);
    const moved = new Set();
    for (const [i, li] of order.line_items.entries()) {
      const { v, loc } = resolved[i];
      if (!v) continue;
      const level = this.store.level(v.inventoryItemId, loc);
      level.available -= li.quantity;
      level.committed += li.quantity;
      level.updatedAt = new Date();
      moved.add(`${v.inventoryItemId}:${loc}`);
    }
    this.emit('orders/create', publicOrder(order));
    this.#announce(moved);
    return publicOrder(order);
  }

  /**
   * Cancels an order (orders/cancelled); with `restock` its units go back to available. With
   * `refund` the cancellation also refunds the order, as orderCancel(refund: true) does
   * (shopify.dev/docs/api/admin-graphql/2024-04/mutations/ordercancel), which sends
   * refunds/create with each unfulfilled line as restock_type `cancel` (or `no_restock`): the
   * same units then arrive twice, once per topic, and move once.
   */
  cancel(orderId, { restock = true, refund = false, reason = 'customer' } = {}) {
    const order = this.#order(orderId);
    if (order.cancelled_at) throw new Error(`order ${orderId} is already cancelled`);
    if (refund) {
      const lines = order.line_items.filter((li) => li.fulfillable_quantity > 0)
        .map((li) => ({ lineItemId: li.id, quantity: li.fulfillable_quantity, restockType: restock ? 'cancel' : 'no_restock' }));
      this.refund(orderId, { lines, note: 'Order cancelled' });
    }
    order.cancelled_at = now();
    order.updated_at = order.cancelled_at;
    order.cancel_reason = reason;
    const moved = new Set();
    for (const li of order.line_items) {
      const v = this.store.variants.get(li.variant_id);
      if (!v || li.fulfillable_quantity === 0) continue;
      const level = this.store.level(v.inventoryItemId, order._locations[li.id]);
      level.committed -= li.fulfillable_quantity;
      if (restock) level.available += li.fulfillable_quantity;
      level.updatedAt = new Date();
      if (restock) moved.add(`${v.inventoryItemId}:${order._locations[li.id]}`);
      li.fulfillable_quantity = 0;
    }
    this.emit('orders/cancelled', publicOrder(order));
    this.#announce(moved);
    return publicOrder(order);
  }

  /**
   * Refunds lines of an order (refunds/create): `lines` of `{ lineItemId | sku, quantity,
   * restockType: 'return' | 'cancel' | 'no_restock', locationId? }`. `return` and `cancel` put
   * the units back at the line's location.
   */
  refund(orderId, { lines, note = null } = {}) {
    const order = this.#order(orderId);
    const id = this.store.id();
    const moved = new Set();
    const refundLines = (lines || []).map((l) => {
      const li = order.line_items.find((x) => (l.lineItemId !== undefined ? x.id === Number(l.lineItemId) : x.sku === l.sku));
      if (!li) throw new Error(`refundOrder: no line for ${JSON.stringify(l)}`);
      const restockType = l.restockType ?? 'return';
      if (!['return', 'cancel', 'no_restock'].includes(restockType)) throw new Error(`refundOrder: restockType ${restockType}`);
      const loc = l.locationId !== undefined ? Number(l.locationId) : order._locations[li.id];
      const quantity = l.quantity ?? li.quantity;
      const v = this.store.variants.get(li.variant_id);
      const level = v ? this.store.level(v.inventoryItemId, loc) : null;
      // A custom item (no level) has no stock to put back.
      if (level && restockType === 'cancel') {
        level.committed -= quantity;
        li.fulfillable_quantity -= quantity;
      }
      if (level && restockType !== 'no_restock') {
        level.available += quantity;
        level.updatedAt = new Date();
        moved.add(`${v.inventoryItemId}:${loc}`);
      }
      const rid = this.store.id();
      return {
        id: rid,
        line_item_id: li.id,
        location_id: restockType === 'no_restock' || !level ? null : loc,
        quantity,
        restock_type: restockType,
        subtotal: (Number(li.price) * quantity).toFixed(2),
        total_tax: '0.00',
        line_item: { ...li },
      };
    });
    const refund = {
      id,
      admin_graphql_api_id: gid('Refund', id),
      order_id: order.id,
      created_at: now(),
      note,
      restock: refundLines.some((r) => r.restock_type !== 'no_restock'),
      refund_line_items: refundLines,
      transactions: [],
      order_adjustments: [],
    };
    order.refunds.push(refund);
    order.updated_at = refund.created_at;
    this.emit('refunds/create', refund);
    this.#announce(moved);
    return refund;
  }

  #order(orderId) {
    const order = this.orders.get(Number(orderId));
    if (!order) throw new Error(`no order ${orderId}`);
    return order;
  }
  #stockingLocation(item) {
    const key = [...this.store.levels.keys()].find((k) => k.startsWith(`${item}:`));
    if (!key) throw new Error(`inventory item ${item} is stocked nowhere`);
    return Number(key.split(':')[1]);
  }
  #announce(moved) {
    for (const k of moved) {
      const [item, loc] = k.split(':').map(Number);
      this.levelChanged(item, loc);
    }
  }
}

/** The order as the webhook carries it (without the stand-in's bookkeeping). */
function publicOrder(order) {
  const { _locations, ...rest } = order;
  return JSON.parse(JSON.stringify(rest));
}

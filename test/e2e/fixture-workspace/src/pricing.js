// Order totals: sums line items and applies the bulk discount.
'use strict';

const BULK_DISCOUNT = 0.1; // 10% off orders of 20 items or more

function orderTotal(lines) {
  let items = 0;
  let total = 0;
  for (const { price, quantity } of lines) {
    items += quantity;
    total += price * quantity;
  }
  return items >= 20 ? total * (1 - BULK_DISCOUNT) : total;
}

module.exports = { orderTotal, BULK_DISCOUNT };

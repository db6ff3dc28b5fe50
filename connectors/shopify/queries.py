"""The GraphQL operations the Shopify connector sends. The sandbox recognises them by operation name.

Page sizes are chosen so every query's requested cost stays well under Shopify's single-query
maximum (1000 points): a connection costs about 2 + first, each node 1, nested connections multiply.
"""

SHOP_CHECK = """
query ShopCheck {
  shop { name myshopifyDomain }
  currentAppInstallation { accessScopes { handle } }
}
"""

PRODUCTS = """
query Products($first: Int!, $after: String, $query: String, $variantsFirst: Int!) {
  products(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id title handle status vendor productType tags createdAt updatedAt
      variants(first: $variantsFirst) {
        nodes { id title sku barcode price inventoryQuantity selectedOptions { name value }
                inventoryItem { id tracked } }
      }
    }
  }
}
"""

LOCATIONS = """
query Locations($first: Int!, $after: String) {
  locations(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id name isActive fulfillsOnlineOrders
            address { address1 address2 city provinceCode zip countryCode } }
  }
}
"""

INVENTORY_ITEMS_BY_SKU = """
query InventoryItemsBySku($first: Int!, $query: String!) {
  inventoryItems(first: $first, query: $query) {
    nodes { id sku tracked }
  }
}
"""

INVENTORY_LEVELS = """
query InventoryLevels($first: Int!, $after: String, $query: String, $levelsFirst: Int!) {
  inventoryItems(first: $first, after: $after, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id sku updatedAt
      inventoryLevels(first: $levelsFirst) {
        nodes { id updatedAt location { id name }
                quantities(names: ["available", "on_hand", "committed", "incoming"]) { name quantity } }
      }
    }
  }
}
"""

ITEM_LEVELS = """
query ItemLevels($ids: [ID!]!, $levelsFirst: Int!) {
  nodes(ids: $ids) {
    ... on InventoryItem {
      id sku updatedAt
      inventoryLevels(first: $levelsFirst) {
        nodes { id updatedAt location { id name }
                quantities(names: ["available", "on_hand", "committed", "incoming"]) { name quantity } }
      }
    }
  }
}
"""

SET_QUANTITIES = """
mutation SetQuantities($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { createdAt reason referenceDocumentUri
      changes { name delta quantityAfterChange item { id } location { id } } }
    userErrors { code field message }
  }
}
"""

ITEM_LEVEL_AT = """
query ItemLevelAt($ids: [ID!]!, $locationId: ID!) {
  nodes(ids: $ids) {
    ... on InventoryItem {
      id
      inventoryLevel(locationId: $locationId) { quantities(names: ["available"]) { name quantity } }
    }
  }
}
"""

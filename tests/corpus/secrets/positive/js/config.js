'use strict';

const mongoose = require('mongoose');
const Shopify = require('shopify-api-node');
const mailgun = require('mailgun-js');

const config = {
  port: process.env.PORT || 3000,
  apiKey: '⟦generic32⟧',
  mongoUri: 'mongodb+srv://app:⟦=Mongo-Atlas-2024x⟧@cluster0.x1y2z.mongodb.net/shop?retryWrites=true',
  jwtSecret: "⟦=2f7c1e9a44d6b0c3e8f51a7d9b2c6e04⟧",
};

const shopify = new Shopify({ shopName: 'acme', accessToken: '⟦shopify⟧' });
const mg = mailgun({ apiKey: '⟦mailgun⟧', domain: 'mg.acme.io' });

fetch('https://api.acme.io/v1/orders', {
  headers: { Authorization: 'Bearer ⟦jwt⟧' },
});

mongoose.connect(config.mongoUri);
module.exports = config;

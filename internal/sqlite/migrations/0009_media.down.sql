DROP TABLE product_images;
DROP TABLE media_blobs;

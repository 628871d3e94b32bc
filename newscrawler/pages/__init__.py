"""Page objects: a response in, plain data out. No crawling decisions here."""

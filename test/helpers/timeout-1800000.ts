jest.setTimeout(1800000);
